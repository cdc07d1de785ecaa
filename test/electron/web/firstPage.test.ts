// @vitest-environment jsdom
// The page opened with the token carries the backend and the device list (electron/web/firstPage.ts),
// so the list paints before the WebSocket answers; a request without the token gets the plain file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeControl } from '../service/fakeControl';
import { startHarness, type Harness } from './harness';
import { FIRST_PAGE_ID, takeFirstPageData, type FirstPageData } from '../../../shared/firstPage';
import { serveFirstPage } from '../../../electron/web/firstPage';
import { lazyFirstPaint } from '../../../electron/web/firstPaintBundle';
import { renderFirstPaint } from '../../../renderer/firstPaint';

let harness: Harness | null = null;
let plainServer: Server | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
  await new Promise((resolve) => (plainServer ? plainServer.close(resolve) : resolve(undefined)));
  plainServer = null;
});

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; chunks: string[]; body: string }

function get(port: number, path: string, method = 'GET', onChunk?: (chunk: string) => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        chunks.push(c);
        onChunk?.(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, body: chunks.join('') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const dataOf = (html: string) => takeFirstPageData(new DOMParser().parseFromString(html, 'text/html'));

describe('the first page', () => {
  it('carries the backend and the device list when opened with the token, and is never stored', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 2 ** 30);
    control.addDevice('vdb', 2 ** 20);
    harness = await startHarness(control);
    const { port, token } = harness.server;
    for (const path of [`/?token=${token}`, `/index.html?token=${token}`]) {
      const page = await get(port, path);
      expect(page.status, path).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
      expect(page.body).toContain('<div id="root"></div>');
      const data = dataOf(page.body);
      expect(data?.devices.map((d) => d.path)).toEqual((await harness.service.listDevices({})).map((d) => d.path));
      expect(data?.devices.map((d) => d.path)).toEqual(['/dev/vda', '/dev/vdb']);
      expect(data?.backend).toEqual(await harness.service.backendInfo({}));
    }
    // Reading the list for the page changed nothing.
    expect(control.log).toEqual([]);
  });

  it('carries no data without the token, with a wrong one, for HEAD or for other files', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 2 ** 30);
    harness = await startHarness(control);
    const { port, token } = harness.server;
    const wrong = token.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    for (const path of ['/', '/index.html', `/?token=${wrong}`, `/?token=${token}x`, `/devices/vda?token=${token}`]) {
      const page = await get(port, path);
      expect(page.status, path).toBe(200);
      expect(page.body, path).toContain('blksnap Manager');
      expect(page.body, path).not.toContain(FIRST_PAGE_ID);
      expect(page.body, path).not.toContain('/dev/vda');
    }
    const head = await get(port, `/?token=${token}`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('sends the page up to <body> before the data, and the rest without data when the service is slow or fails', async () => {
    harness = await startHarness(new FakeControl());
    const index = join(harness.staticDir, 'index.html');
    writeFileSync(index, '<!doctype html><html><head><script type="module" src="./app.js"></script></head><body><div id="root"></div></body></html>\n');
    const data: FirstPageData = { backend: await harness.service.backendInfo({}), devices: [] };
    let release: () => void = () => undefined;
    const reads: Record<string, () => Promise<FirstPageData>> = {
      held: () => new Promise((resolve) => (release = () => resolve(data))),
      never: () => new Promise(() => undefined),
      failing: () => Promise.reject(new Error('no list')),
    };
    let mode = 'held';
    plainServer = createServer((_req, res) => void serveFirstPage(res, index, reads[mode]!, { waitMs: 300 }));
    await new Promise<void>((resolve) => plainServer!.listen(0, '127.0.0.1', resolve));
    const port = (plainServer.address() as AddressInfo).port;

    // The head (with the script to fetch) arrives while the data is still being read.
    const held = await get(port, '/', 'GET', (chunk) => {
      if (chunk.includes('<body>')) {
        expect(chunk).toContain('./app.js');
        expect(chunk).not.toContain(FIRST_PAGE_ID);
        release();
      }
    });
    expect(held.chunks.length).toBeGreaterThan(1);
    expect(dataOf(held.body)).toEqual(data);

    for (mode of ['never', 'failing']) {
      const started = Date.now();
      const page = await get(port, '/');
      expect(page.body, mode).toContain('<div id="root"></div></body></html>');
      expect(page.body, mode).not.toContain(FIRST_PAGE_ID);
      if (mode === 'never') expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    }
  });

  it('sends the status and the head at once, before the service answers: no turn of the event loop first', async () => {
    harness = await startHarness(new FakeControl());
    const index = join(harness.staticDir, 'index.html');
    writeFileSync(index, '<!doctype html><html><head><script type="module" src="./app.js"></script></head><body><div id="root"></div></body></html>\n');
    // What the browser needs to start on the page (the COOP process, the script's fetch) goes out
    // while the handler still runs; the service's answer comes later.
    const atReturn: boolean[] = [];
    plainServer = createServer((_req, res) => {
      void serveFirstPage(res, index, () => new Promise(() => undefined), { waitMs: 50 });
      atReturn.push(res.headersSent);
    });
    await new Promise<void>((resolve) => plainServer!.listen(0, '127.0.0.1', resolve));
    const page = await get((plainServer.address() as AddressInfo).port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="root"></div></body></html>');
    expect(atReturn).toEqual([true]);
  });

  it('answers the page opened with the token with 503 "not built" when index.html cannot be read, with no data', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 2 ** 30);
    harness = await startHarness(control);
    rmSync(join(harness.staticDir, 'index.html'));
    const page = await get(harness.server.port, `/?token=${harness.server.token}`);
    expect(page.status).toBe(503);
    expect(page.body).toContain('The renderer is not built');
    expect(page.body).not.toContain(FIRST_PAGE_ID);
    expect(page.body).not.toContain('/dev/vda');
  });

  it('paints the list in the root for the page opened with the token, and nowhere else', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 2 ** 30);
    harness = await startHarness(control, {}, { firstPaint: renderFirstPaint });
    writeFileSync(join(harness.staticDir, 'index.html'), '<!doctype html><html><head><title>blksnap Manager</title></head><body>\n<div id="root"></div>\n</body></html>\n');
    const { port, token } = harness.server;
    const page = await get(port, `/?token=${token}`);
    const doc = new DOMParser().parseFromString(page.body, 'text/html');
    const painted = doc.querySelector('#root > [data-first-paint][inert]');
    expect(painted?.querySelector('.device-link')?.textContent).toBe('/dev/vda');
    // The data block still comes first: the app's script reads it.
    expect(page.body.indexOf(FIRST_PAGE_ID)).toBeLessThan(page.body.indexOf('data-first-paint'));
    expect(dataOf(page.body)?.devices.map((d) => d.path)).toEqual(['/dev/vda']);
    for (const path of ['/', `/?token=${token}x`, `/devices/vda?token=${token}`]) {
      const other = await get(port, path);
      expect(other.body, path).toContain('<div id="root"></div>');
      expect(other.body, path).not.toContain('data-first-paint');
    }
    expect(control.log).toEqual([]);
  });

  it('splices the markup in as it is, and sends the page without it when there is none', async () => {
    harness = await startHarness(new FakeControl());
    const index = join(harness.staticDir, 'index.html');
    writeFileSync(index, '<!doctype html><html><head></head><body><div id="root"></div></body></html>\n');
    const data: FirstPageData = { backend: await harness.service.backendInfo({}), devices: [] };
    // String.replace would read $' and $& in the markup as patterns (the rest of the page, the match).
    const markup = "<p>$' and $& and $$</p>";
    const paints: Record<string, (d: FirstPageData) => string | null> = {
      markup: () => markup,
      none: () => null,
      missing: lazyFirstPaint(join(harness.staticDir, 'no-such-bundle.cjs')),
    };
    let mode = 'markup';
    plainServer = createServer((_req, res) => void serveFirstPage(res, index, () => Promise.resolve(data), { paint: paints[mode]! }));
    await new Promise<void>((resolve) => plainServer!.listen(0, '127.0.0.1', resolve));
    const port = (plainServer.address() as AddressInfo).port;
    const page = await get(port, '/');
    expect(page.body).toContain(`<div id="root">${markup}</div></body></html>\n`);
    expect(dataOf(page.body)).toEqual(data);
    for (mode of ['none', 'missing']) {
      const plain = await get(port, '/');
      expect(plain.body, mode).toContain('<div id="root"></div></body></html>\n');
      expect(dataOf(plain.body), mode).toEqual(data);
    }
  });

  it('loads the first paint ahead of the page request when asked, and the request finds it loaded', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 2 ** 30);
    const dir = mkdtempSync(join(tmpdir(), 'first-paint-'));
    try {
      // Counts its loads and renders in the process: the bundle is what prepareFirstPage must load.
      writeFileSync(join(dir, 'counts.cjs'), [
        'globalThis.firstPaintCounts ??= { loads: 0, renders: [] };',
        'globalThis.firstPaintCounts.loads += 1;',
        'module.exports.renderFirstPaint = (d) => { globalThis.firstPaintCounts.renders.push(d.devices.map((x) => x.path)); return "<p>list</p>"; };',
      ].join('\n'));
      const counts = () => (globalThis as unknown as { firstPaintCounts?: { loads: number; renders: string[][] } }).firstPaintCounts;
      harness = await startHarness(control, {}, { firstPaint: lazyFirstPaint(join(dir, 'counts.cjs')) });
      writeFileSync(join(harness.staticDir, 'index.html'), '<!doctype html><html><head></head><body><div id="root"></div></body></html>\n');
      expect(counts()).toBeUndefined();
      await harness.server.prepareFirstPage();
      expect(counts()).toEqual({ loads: 1, renders: [['/dev/vda']] });
      const page = await get(harness.server.port, `/?token=${harness.server.token}`);
      expect(page.body).toContain('<p>list</p>');
      expect(counts()).toEqual({ loads: 1, renders: [['/dev/vda'], ['/dev/vda']] });
      // Reading ahead changed nothing.
      expect(control.log).toEqual([]);
    } finally {
      delete (globalThis as unknown as { firstPaintCounts?: unknown }).firstPaintCounts;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prepares the first page without failing when the service or the renderer fails', async () => {
    const control = new FakeControl();
    harness = await startHarness(control, {}, { firstPaint: () => { throw new Error('broken renderer'); } });
    await expect(harness.server.prepareFirstPage()).resolves.toBeUndefined();
    harness.service.listDevices = () => Promise.reject(new Error('no list'));
    await expect(harness.server.prepareFirstPage()).resolves.toBeUndefined();
  });

  it('gives no first paint when the bundle fails to load or to render', async () => {
    harness = await startHarness(new FakeControl());
    const dir = mkdtempSync(join(tmpdir(), 'first-paint-'));
    try {
      const data: FirstPageData = { backend: await harness.service.backendInfo({}), devices: [] };
      writeFileSync(join(dir, 'throws.cjs'), 'throw new Error("broken bundle");\n');
      writeFileSync(join(dir, 'renders.cjs'), 'module.exports.renderFirstPaint = (d) => { if (d.devices.length === 0) throw new Error("no"); return "<p>list</p>"; };\n');
      writeFileSync(join(dir, 'exports-nothing.cjs'), 'module.exports = {};\n');
      expect(lazyFirstPaint(join(dir, 'throws.cjs'))(data)).toBeNull();
      expect(lazyFirstPaint(join(dir, 'exports-nothing.cjs'))(data)).toBeNull();
      const renders = lazyFirstPaint(join(dir, 'renders.cjs'));
      expect(renders(data)).toBeNull();
      expect(renders({ ...data, devices: [{ path: '/dev/vda' } as FirstPageData['devices'][number]] })).toBe('<p>list</p>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
