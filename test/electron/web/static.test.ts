// How long a browser may keep what the web mode serves from dist/renderer (electron/web/static.ts):
// index.html never (it names the build's files), a file named by its content's hash for good (a
// rebuild gives new content new names), anything else only after asking.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../../electron/web/static';

let dir: string;
let server: Server;
let origin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'static-cache-'));
  mkdirSync(join(dir, 'assets'));
  for (const file of ['index.html', 'assets/SnapshotsView-BInGG12D.js', 'assets/index-rVa-AuMm.css', 'assets/notes.txt', 'robots.txt']) writeFileSync(join(dir, file), 'x');
  server = createServer((req, res) => void serveStatic(req, res, dir, new URL(req.url ?? '/', 'http://x').pathname));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((closed) => server.close(() => closed()));
  rmSync(dir, { recursive: true, force: true });
});

const cacheControl = async (path: string) => {
  const res = await fetch(`${origin}${path}`);
  await res.arrayBuffer();
  return `${res.status} ${res.headers.get('cache-control')}`;
};

describe('the caching headers of the built renderer', () => {
  it('keeps a hashed asset for good, never index.html, and asks again for any other file', async () => {
    expect(await cacheControl('/assets/SnapshotsView-BInGG12D.js')).toBe('200 max-age=31536000, immutable');
    expect(await cacheControl('/assets/index-rVa-AuMm.css')).toBe('200 max-age=31536000, immutable');
    expect(await cacheControl('/index.html')).toBe('200 no-store');
    expect(await cacheControl('/devices/sda')).toBe('200 no-store'); // a client-side route: index.html
    expect(await cacheControl('/assets/notes.txt')).toBe('200 no-cache');
    expect(await cacheControl('/robots.txt')).toBe('200 no-cache');
  });

  it('never lets a browser keep the answer for a file that is not there (a build older than the previous one)', async () => {
    expect(await cacheControl('/assets/SnapshotsView-Gone1234.js')).toBe('404 no-store');
  });
});
