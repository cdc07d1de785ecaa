// Our page in Electron: served from the built renderer under app://blksnap/ (a privileged
// standard scheme, so 'self' in the CSP means exactly our files), with the CSP on every
// response. isOwnPage is what the IPC handlers check the sender frame against.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { resolveStaticPath } from '../web/static';

export const PAGE_SCHEME = 'app';
export const PAGE_ORIGIN = 'app://blksnap';
export const PAGE_URL = `${PAGE_ORIGIN}/index.html`;

export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.map': 'application/json',
};

export function isOwnPage(url: string): boolean {
  return url === PAGE_ORIGIN || url.startsWith(`${PAGE_ORIGIN}/`);
}

/** protocol.handle handler: files under rendererDir only; index.html for client-side routes. */
export async function pageResponse(request: { url: string }, rendererDir: string): Promise<Response> {
  const url = new URL(request.url);
  if (`${url.protocol}//${url.host}` !== PAGE_ORIGIN) return new Response('Not found', { status: 404 });
  const path = url.pathname === '/' ? '/index.html' : url.pathname;
  const file = resolveStaticPath(rendererDir, path);
  if (!file) return new Response('Bad path', { status: 400 });
  const target = extname(path) === '' ? resolveStaticPath(rendererDir, '/index.html')! : file;
  try {
    const body = await readFile(target);
    return new Response(new Uint8Array(body), {
      headers: { 'Content-Type': MIME[extname(target)] ?? 'application/octet-stream', 'Content-Security-Policy': PAGE_CSP, 'X-Content-Type-Options': 'nosniff' },
    });
  } catch {
    return new Response('Not found', { status: 404 });
  }
}
