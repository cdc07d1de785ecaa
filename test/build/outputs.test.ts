// dist/renderer keeps the previous build's files (build/outputs.mjs writeRendererFiles): a page or
// window opened on the previous build still loads the chunks its script names after a rebuild; files
// of older builds go, and nothing outside the folder is touched. Real vite builds of a small page
// whose one view is a lazy chunk, served by the web mode's static files (electron/web/static.ts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RENDERER_BUILDS, writeRendererFiles } from '../../build/outputs.mjs';
import { serveStatic } from '../../electron/web/static';

interface Build { files: { fileName: string; data: string | Uint8Array }[]; lazyChunk: string }

let work: string;
let outDir: string;
let server: Server;
let origin: string;

/** A vite build of a page whose view (`view.js`, saying `words`) is loaded lazily, as the app's views are. */
async function buildPage(words: string): Promise<Build> {
  const { build } = await import('vite');
  const src = mkdtempSync(join(work, 'src-'));
  writeFileSync(join(src, 'index.html'), '<!doctype html><title>t</title><script type="module" src="./main.js"></script>\n');
  writeFileSync(join(src, 'main.js'), 'window.openView = () => import(\'./view.js\');\n');
  writeFileSync(join(src, 'view.js'), `export const words = ${JSON.stringify(words)};\n`);
  const result = await build({ configFile: false, root: src, logLevel: 'silent', build: { write: false, outDir: join(src, 'out') } });
  const output = (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : []));
  const lazy = output.find((file) => file.type === 'chunk' && file.isDynamicEntry);
  if (!lazy) throw new Error('the page has no lazy chunk');
  return {
    files: output.map((file) => ({ fileName: file.fileName, data: file.type === 'chunk' ? file.code : file.source })),
    lazyChunk: lazy.fileName,
  };
}

const get = async (path: string) => {
  const res = await fetch(`${origin}/${path}`);
  return { status: res.status, body: await res.text() };
};
const filesIn = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => !lstatSync(join(dir, f)).isDirectory()).sort();

beforeAll(async () => {
  server = createServer((req, res) => void serveStatic(req, res, outDir, new URL(req.url ?? '/', 'http://x').pathname));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((closed) => server.close(() => closed())));
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'renderer-builds-'));
  outDir = join(work, 'dist', 'renderer');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('dist/renderer holds the current build and the previous one', { timeout: 60_000 }, () => {
  it('a page of the previous build still loads its lazy chunk after a rebuild; after the build after that, it is gone', async () => {
    const [first, second, third] = [await buildPage('first'), await buildPage('second'), await buildPage('third')];
    expect(new Set([first.lazyChunk, second.lazyChunk, third.lazyChunk]).size).toBe(3);
    writeRendererFiles(outDir, first.files);
    const firstEntry = first.files.find((f) => f.fileName.endsWith('.js') && f.fileName !== first.lazyChunk)!;
    // The page of the first build names its view's chunk; the view is opened only after the rebuild.
    expect(String(firstEntry.data)).toContain(first.lazyChunk.replace('assets/', ''));

    writeRendererFiles(outDir, second.files);
    expect(await get(first.lazyChunk)).toEqual({ status: 200, body: expect.stringContaining('first') as string });
    expect((await get('index.html')).body).toBe(String(second.files.find((f) => f.fileName === 'index.html')!.data));

    writeRendererFiles(outDir, third.files);
    expect((await get(first.lazyChunk)).status).toBe(404);
    expect((await get(second.lazyChunk)).body).toContain('second');
    const kept = [...second.files, ...third.files].map((f) => f.fileName);
    expect(filesIn(outDir)).toEqual([...new Set([RENDERER_BUILDS, ...kept])].sort());
  });

  it('a rebuild that writes the same files keeps the build before them as the previous one', async () => {
    const [first, second] = [await buildPage('first'), await buildPage('second')];
    writeRendererFiles(outDir, first.files);
    writeRendererFiles(outDir, second.files);
    writeRendererFiles(outDir, second.files); // only the main process changed: npm start rebuilt all of dist/
    expect((await get(first.lazyChunk)).body).toContain('first');
  });

  it('keeps the files of a build made before the list once, then removes them', async () => {
    const [first, second] = [await buildPage('first'), await buildPage('second')];
    mkdirSync(join(outDir, 'assets'), { recursive: true });
    writeFileSync(join(outDir, 'assets/view-fromOlderCode.js'), 'export const words = "older";\n');
    writeRendererFiles(outDir, first.files);
    expect((await get('assets/view-fromOlderCode.js')).status).toBe(200);
    writeRendererFiles(outDir, second.files);
    expect((await get('assets/view-fromOlderCode.js')).status).toBe(404);
  });

  it('touches nothing outside dist/renderer, and removes an old link itself, never what it names', async () => {
    const [first, second, third] = [await buildPage('first'), await buildPage('second'), await buildPage('third')];
    const elsewhere = mkdtempSync(join(work, 'elsewhere-'));
    writeFileSync(join(elsewhere, 'precious.js'), 'not the build\'s\n');
    mkdirSync(join(work, 'dist'));
    writeFileSync(join(work, 'dist', 'beside.txt'), 'not the build\'s\n');
    writeRendererFiles(outDir, first.files);
    symlinkSync(join(elsewhere, 'precious.js'), join(outDir, 'assets', 'linked-file.js'));
    symlinkSync(elsewhere, join(outDir, 'assets', 'linked-folder'));
    // A list that names files outside the folder only ever keeps files: it can remove none there.
    writeFileSync(join(outDir, RENDERER_BUILDS), JSON.stringify({ current: ['../beside.txt', '../../elsewhere/precious.js'], previous: [] }));
    writeRendererFiles(outDir, second.files);
    writeRendererFiles(outDir, third.files);
    expect(existsSync(join(outDir, 'assets', 'linked-file.js'))).toBe(false);
    expect(existsSync(join(outDir, 'assets', 'linked-folder'))).toBe(false);
    expect(readdirSync(elsewhere)).toEqual(['precious.js']);
    expect(readFileSync(join(elsewhere, 'precious.js'), 'utf8')).toBe('not the build\'s\n');
    expect(readFileSync(join(work, 'dist', 'beside.txt'), 'utf8')).toBe('not the build\'s\n');
  });
});
