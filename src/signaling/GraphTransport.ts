import { Client, ResponseType } from '@microsoft/microsoft-graph-client';
import { CommunicationsError, type GraphErrorDetail } from './errors';

export interface GraphResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: unknown;
}

export type GraphVersion = 'v1.0' | 'beta';

/**
 * Requests through the official graph client, read raw so status and Location headers stay
 * visible (Graph answers several actions with 202 and only a Location). Non-2xx answers become
 * CommunicationsError GRAPH_REQUEST_FAILED carrying Graph's error body.
 */
export class GraphTransport {
  constructor(
    readonly client: Client,
    readonly defaultVersion: GraphVersion,
  ) {}

  /** `filter` is an OData `$filter` expression; it is percent-encoded here, as the graph client puts it in the URL as given. */
  async send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, version: GraphVersion = this.defaultVersion, filter?: string): Promise<GraphResponse> {
    const request = this.client.api(path).version(version).responseType(ResponseType.RAW);
    if (filter !== undefined) request.filter(encodeURIComponent(filter));
    let raw: Response;
    if (method === 'GET') raw = await request.get();
    else if (method === 'DELETE') raw = await request.delete();
    else if (method === 'PATCH') raw = await request.patch(body ?? {});
    else raw = await request.post(body ?? {});
    const text = await raw.text();
    let parsed: unknown;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!raw.ok) {
      const detail = (parsed as { error?: GraphErrorDetail } | undefined)?.error;
      const graphError: GraphErrorDetail = detail && typeof detail.code === 'string' ? detail : { code: String(raw.status), message: text };
      throw new CommunicationsError('GRAPH_REQUEST_FAILED', `${method} ${path} failed: ${raw.status} ${graphError.code}: ${graphError.message}`, {
        statusCode: raw.status,
        graphError,
      });
    }
    return { status: raw.status, headers: raw.headers, body: parsed };
  }
}
