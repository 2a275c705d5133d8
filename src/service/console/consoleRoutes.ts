import * as fs from 'fs';
import * as path from 'path';
import { GraphHttpError } from '../http/GraphHttpError';
import { Router } from '../http/Router';

/** The page's files: plain ES modules and CSS, served as they are (no build step). */
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'media.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/** Where the page lives: beside this module in the sources (the package ships them). */
export function consolePageDirectory(): string {
  const candidates = [path.join(__dirname, 'page'), path.resolve(__dirname, '../../../../src/service/console/page')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`the console's page is missing (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * The call console: a page the service serves at /console, which reads and drives calls
 * through the admin API and joins them over WebRTC. Every asset comes from here: it works
 * offline.
 */
export function consoleRoutes(): Router {
  const r = new Router();
  const dir = consolePageDirectory();
  const serve = (name: string) => (ctx: { res: import('http').ServerResponse }) => {
    const type = ASSETS[name];
    if (!type) throw GraphHttpError.notFound(`no console asset '${name}'`);
    const body = fs.readFileSync(path.join(dir, name));
    ctx.res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
    ctx.res.end(body);
  };
  r.add('GET', '/console', serve('index.html'));
  r.add('GET', '/console/{asset}', (ctx) => serve(ctx.params.asset)(ctx));
  return r;
}
