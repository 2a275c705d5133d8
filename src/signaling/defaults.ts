/** Port the local communications service listens on unless told otherwise. */
export const DEFAULT_SERVICE_PORT = 9440;
/** Where a CommunicationsClient looks for the local service by default. */
export const DEFAULT_SERVICE_URL = `http://127.0.0.1:${DEFAULT_SERVICE_PORT}`;
/** Graph itself. */
export const GRAPH_BASE_URL = 'https://graph.microsoft.com';
