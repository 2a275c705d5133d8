import type { IncomingMessage } from 'http';
import { GraphError } from '../model/GraphError';

/** Bodies larger than this are refused: a Graph request body is a few kilobytes at most. */
export const MAX_BODY_BYTES = 1 << 20;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        // Keep reading (and discarding) so the client sees our answer instead of a reset.
        reject(new GraphError(413, 'requestTooLarge', `request body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}

/**
 * Reads a JSON object body. An empty body is `{}` (Graph's parameterless actions such as
 * keepAlive are posted without one); anything that is not a JSON object is a 400.
 */
export async function readJsonObject(req: IncomingMessage, options: { jsonContentType?: boolean } = {}): Promise<Record<string, unknown>> {
  const raw = await readBody(req);
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  if (options.jsonContentType) checkJsonContentType(req.headers['content-type']);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new GraphError(400, 'malformedRequest', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw GraphError.badRequest('request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Graph reads a request body only when it is declared JSON: no Content-Type, or another one
 * (form data, text/plain, JSON sent as text), is refused before the body is looked at, with
 * Graph's own messages.
 */
function checkJsonContentType(header: string | undefined): void {
  if (header === undefined || header.trim() === '') {
    throw new GraphError(400, 'BadRequest', 'Write requests (excluding DELETE) must contain the Content-Type header declaration.');
  }
  const mediaType = header.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new GraphError(400, 'BadRequest', `Entity only allows writes with a JSON Content-Type header (got '${mediaType}').`);
  }
}
