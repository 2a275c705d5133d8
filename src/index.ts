export * from './media';
export * from './signaling';
export * from './service';
