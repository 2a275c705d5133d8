import type { IncomingMessage, ServerResponse } from 'http';
import type { Caller } from '../auth/Authority';
import { GraphError } from '../model/GraphError';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Values of the `{name}` segments of the matched pattern. */
  params: Record<string, string>;
  /** The API version prefix the request came under (`v1.0` or `beta`), when the route has one. */
  version: string;
  url: URL;
  /** The app a Graph request's access token names (set before any Graph route runs). */
  caller?: Caller;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

/**
 * A small path router: patterns like `/communications/calls/{id}/answer`. Literal segments match
 * case-insensitively, as Graph's do. It tells "no such path" (404/400 by the caller) from
 * "path exists, wrong method" (405).
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler): this {
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return this;
  }

  /** Returns the handler and params, `'method'` when only the method is wrong, or undefined. */
  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string> } | 'method' | undefined {
    const parts = split(path);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method.toUpperCase()) return { handler: route.handler, params };
      pathMatched = true;
    }
    return pathMatched ? 'method' : undefined;
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith('{') && p.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
      params[p.slice(1, -1)] = value;
    } else if (!literalMatches(p, parts[i], i === pattern.length - 1)) {
      return undefined;
    }
  }
  return params;
}

/**
 * A literal segment, in any case; the last one (an action, such as answer or sendDtmfTones) also
 * by its OData namespace-qualified name, `microsoft.graph.answer`, as Graph's reference examples
 * write some of them.
 */
function literalMatches(pattern: string, part: string, last: boolean): boolean {
  const p = pattern.toLowerCase();
  const given = part.toLowerCase();
  return given === p || (last && given === `microsoft.graph.${p}`);
}

export function methodNotAllowed(method: string, path: string): GraphError {
  return new GraphError(405, 'notSupported', `method ${method} is not supported on ${path}`);
}
