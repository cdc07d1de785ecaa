// Static files of the built renderer: no path escapes staticDir, correct MIME types,
// and the security headers (CSP first) on every response.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The page may talk only to its own origin (the WebSocket included); no inline scripts. */
export function contentSecurityPolicy(wsOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React style props are set via CSSOM (not CSP-governed); recharts/tooltip libraries
    // still emit style attributes, hence 'unsafe-inline' for styles only.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${wsOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(res: ServerResponse, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // The page URL carries the access token: never send it elsewhere.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/**
 * A file named by its content's hash (vite's `assets/<name>-<8 characters>.<ext>`): what is served
 * under that name never changes, so the browser keeps it without asking again. A rebuild makes new
 * names; index.html, which names them, is never cached.
 */
const HASHED_ASSET = /^\/assets\/[^/]+-[\w-]{8}\.[\w.]+$/;

function cacheControl(type: string, urlPath: string): string {
  if (type.startsWith('text/html')) return 'no-store';
  return HASHED_ASSET.test(urlPath) ? 'max-age=31536000, immutable' : 'no-cache';
}

/** Maps a URL path onto a file under root, or null when it would leave root. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = resolve(root);
  const target = resolve(join(base, decoded.endsWith('/') ? `${decoded}index.html` : decoded));
  return target === base || target.startsWith(base + sep) ? target : null;
}

export async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, urlPath: string): Promise<void> {
  const target = resolveStaticPath(root, urlPath);
  if (!target) return plain(res, 400, 'Bad path\n');
  let file = target;
  let info = await stat(file).catch(() => null);
  // Client-side routes (no extension) get the app's index.html.
  if ((!info || !info.isFile()) && extname(urlPath) === '') {
    file = join(resolve(root), 'index.html');
    info = await stat(file).catch(() => null);
    if (!info?.isFile()) return notBuilt(res, root);
  }
  if (!info?.isFile()) return plain(res, 404, 'Not found\n');
  const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': info.size,
    'Cache-Control': cacheControl(type, urlPath),
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

export function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
  res.end(text);
}

function notBuilt(res: ServerResponse, root: string): void {
  res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><title>blksnap Manager</title><p>The renderer is not built (no index.html in ${escapeHtml(root)}). Run <code>npm run build</code>.</p>\n`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
