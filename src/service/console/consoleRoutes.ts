import * as fs from 'fs';
import * as path from 'path';
import { GraphError } from '../model/GraphError';
import { Router } from '../http/Router';

/** The page's files: plain ES modules and CSS, served as they are (no build step). */
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'media.js': 'text/javascript; charset=utf-8',
  'prompt.js': 'text/javascript; charset=utf-8',
  'plots.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/**
 * Packages the page runs in the browser, served from node_modules: @ffmpeg/ffmpeg (and its
 * worker), @ffmpeg/util and @ffmpeg/core's single-threaded WebAssembly build, ES modules all.
 */
const VENDOR: Record<string, string> = { ffmpeg: '@ffmpeg/ffmpeg', util: '@ffmpeg/util', core: '@ffmpeg/core' };

function vendorDirectory(name: string): string | undefined {
  const pkg = VENDOR[name];
  if (!pkg) return undefined;
  try {
    // Each resolves to dist/<umd|cjs>/<file>; the ES modules sit beside, in dist/esm.
    return path.resolve(path.dirname(require.resolve(pkg)), '..', 'esm');
  } catch {
    return undefined;
  }
}

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
    if (!type) throw GraphError.notFound(`no console asset '${name}'`);
    const body = fs.readFileSync(path.join(dir, name));
    ctx.res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
    ctx.res.end(body);
  };
  r.add('GET', '/console', serve('index.html'));
  r.add('GET', '/console/{asset}', (ctx) => serve(ctx.params.asset)(ctx));
  r.add('GET', '/console/vendor/{pkg}/{file}', (ctx) => {
    const dir = vendorDirectory(ctx.params.pkg);
    const file = ctx.params.file;
    const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.js') ? 'text/javascript; charset=utf-8' : undefined;
    const full = dir && type && /^[\w.-]+$/.test(file) ? path.join(dir, file) : undefined;
    if (!full || !fs.existsSync(full)) throw GraphError.notFound(`no console asset '${ctx.params.pkg}/${file}'`);
    const body = fs.readFileSync(full);
    ctx.res.writeHead(200, { 'Content-Type': type as string, 'Content-Length': body.length, 'Cache-Control': 'max-age=3600' });
    ctx.res.end(body);
  });
  return r;
}
