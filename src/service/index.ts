export { startService, type StartServiceOptions, type RunningService } from './startService';
export {
  CommunicationsService,
  type CommunicationsServiceOptions,
  type IncomingCallRequest,
  type RemoteParty,
} from './CommunicationsService';
export {
  NoopMediaBridge,
  TONE_BY_DIGIT,
  type AudioRouting,
  type MediaBridge,
  type RecordOptions,
  type RecordResult,
  type RecordCompletionReason,
} from './MediaBridge';
export { createListener as createServiceListener } from './http/createListener';
export { GraphError, type GraphErrorCode } from './model/GraphError';
export { type GraphErrorBody } from './http/responses';
export { Directory, type BotEntry, type UserEntry, type AnswerBehavior } from './Directory';
export { ServiceCall, type AudioRoutingGroupRecord, type MediaConfigJson, type MediaHosting, type CallKind } from './model/ServiceCall';
export type { ServiceParticipant } from './model/ServiceParticipant';
export type { ServiceOperation, OperationStatus, OperationType } from './model/ServiceOperation';
export { NotificationDispatcher, DEFAULT_RETRY, type RetryPolicy, type DeliveryStats, type DeliveryTarget } from './notifications/NotificationDispatcher';
export { TokenIssuer } from './notifications/TokenIssuer';
export type { CommsNotificationJson, CommsNotificationsJson } from './notifications/payloads';
export { ConferenceMedia, type ConferenceMediaOptions } from './media/ConferenceMedia';
export { ForwardingPort } from './media/ForwardingPort';
export { SyntheticParticipant, type SyntheticMediaOptions } from './media/SyntheticParticipant';
export { AppRegistry, AppRegistrationError, newClientSecret, type AppRegistration, type AppRegistrationInput, type AppsFile } from './auth/AppRegistry';
export { Authority, AccessTokenError, OAuthError, GRAPH_RESOURCE, type Caller } from './auth/Authority';
export { GRAPH_APP_ROLES, type GraphAppRole } from './auth/permissions';
export { LocalCertificateAuthority, defaultCaDirectory, type LocalCertificateAuthorityOptions } from './auth/LocalCertificateAuthority';
