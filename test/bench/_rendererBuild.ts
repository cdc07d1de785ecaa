// Builds the renderer with Vite into a temporary directory and serves it on 127.0.0.1: for
// screenshots and view tests against the fake API (?fake=1).
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { build, type Plugin } from 'vite';

const ROOT = resolve(import.meta.dirname, '../..');

/** Until renderer/api exists, `./api` resolves to the fake client so the app still builds. */
function apiFallback(): Plugin {
  return {
    name: 'renderer-api-fallback',
    resolveId(id, importer) {
      if (id !== './api' || !importer?.endsWith('renderer/main.tsx')) return null;
      if (existsSync(join(ROOT, 'renderer/api/index.ts'))) return null;
      return join(ROOT, 'renderer/dev/fakeApiEntry.ts');
    },
  };
}

export async function buildRenderer(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: join(ROOT, 'renderer'),
    base: './',
    publicDir: false,
    logLevel: 'warn',
    plugins: [apiFallback()],
    define: { 'import.meta.env.VITE_ALLOW_FAKE': JSON.stringify('1') },
    oxc: { jsx: { runtime: 'automatic' } },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 4000,
      rollupOptions: { input: { index: join(ROOT, 'renderer/index.html') } },
    },
  });
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export async function serveDir(dir: string, port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'",
        });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return { url: `http://127.0.0.1:${actualPort}`, server };
}

// `npx tsx test/bench/_rendererBuild.ts [port]`: build and serve for manual looks.
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = '/tmp/blksnap-renderer-build';
  await buildRenderer(out);
  const { url } = await serveDir(out, Number(process.argv[2] ?? 0));
  console.log(`serving ${out} at ${url}/?fake=1`);
}
