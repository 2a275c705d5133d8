/** Port the local communications service listens on unless told otherwise. */
export const DEFAULT_SERVICE_PORT = 9440;
/** Where a CommunicationsClient looks for the local service by default. */
export const DEFAULT_SERVICE_URL = `http://127.0.0.1:${DEFAULT_SERVICE_PORT}`;
/** Graph itself. */
export const GRAPH_BASE_URL = 'https://graph.microsoft.com';
/**
 * The local service's tenant, unless it is given one: the `{tenant}` of its authority's URLs and
 * the `tid` of its tokens.
 */
export const DEFAULT_TENANT_ID = 'a11ca11e-0000-4000-8000-000000000001';
