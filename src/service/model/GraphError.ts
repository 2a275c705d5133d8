/**
 * Error codes the service answers with. They are the generic codes of Graph's error reference,
 * so a bot's error handling written against Graph branches the same way here.
 */
export type GraphErrorCode =
  | 'malformedRequest' // body is not JSON
  | 'invalidRequest' // JSON, but a field is missing or wrong
  | 'BadRequest' // refused before the body is read as a resource: Content-Type, @odata.type (Graph's OData layer names it so)
  | 'InvalidAuthenticationToken' // no token, or one the authority did not issue for Graph (401)
  | 'accessDenied' // a valid token without the permission the action needs, or another app's call (403)
  | 'itemNotFound'
  | 'notAllowed' // the call's state forbids the action
  | 'notSupported'
  | 'requestTooLarge'
  | 'generalException';

/**
 * What the service's domain refuses a request with: Graph's HTTP status and error code, and a
 * message naming what to fix. The REST layer (http/) turns it into Graph's error body; the
 * domain knows nothing of HTTP beyond these numbers.
 */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: GraphErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }

  static badRequest(message: string): GraphError {
    return new GraphError(400, 'invalidRequest', message);
  }

  static notFound(message: string): GraphError {
    return new GraphError(404, 'itemNotFound', message);
  }

  static conflict(message: string): GraphError {
    return new GraphError(409, 'notAllowed', message);
  }
}

