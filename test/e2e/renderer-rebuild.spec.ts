// A page open in the browser while `npm run build` rebuilds dist/renderer opens a view whose chunk
// it had not loaded yet: the chunk of its own build is still there (build/outputs.mjs keeps the
// previous build's files). A small page built by vite, whose one view is a lazy chunk as the app's
// views are, written by the build's own writeRendererFiles and served by the web mode's static
// files (electron/web/static.ts), in Chromium; the app's own views are all fetched once it has
// painted (renderer/app/lazyViews.ts), so a page of the app would hide the question.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { writeRendererFiles } from '../../build/outputs.mjs';
import { serveStatic } from '../../electron/web/static';
import { expect, test } from './fixtures';

type Files = Parameters<typeof writeRendererFiles>[1];

let work: string;
let server: Server;
let origin: string;

/** A vite build of a page whose view (`view.js`, saying `words`) is imported only when asked for. */
async function buildPage(words: string): Promise<Files> {
  const src = mkdtempSync(join(work, 'src-'));
  writeFileSync(join(src, 'index.html'), '<!doctype html><title>rebuild</title><script type="module" src="./main.js"></script>\n');
  writeFileSync(join(src, 'main.js'), 'window.openView = () => import(\'./view.js\').then((view) => view.words);\n');
  writeFileSync(join(src, 'view.js'), `export const words = ${JSON.stringify(words)};\n`);
  const result = await build({ configFile: false, root: src, logLevel: 'silent', build: { write: false, outDir: join(src, 'out') } });
  return (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : []))
    .map((file) => ({ fileName: file.fileName, data: file.type === 'chunk' ? file.code : file.source }));
}

test.beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'renderer-rebuild-'));
  const outDir = join(work, 'renderer');
  server = createServer((req, res) => void serveStatic(req, res, outDir, new URL(req.url ?? '/', 'http://x').pathname));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.afterEach(async () => {
  await new Promise<void>((closed) => server.close(() => closed()));
  rmSync(work, { recursive: true, force: true });
});

test('a page open during a rebuild opens a view it had not loaded, from its own build; a page opened after it gets the new one', async ({ page }) => {
  const outDir = join(work, 'renderer');
  const [before, after] = [await buildPage('the build the page was opened on'), await buildPage('the new build')];
  writeRendererFiles(outDir, before);
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'openView' in window);

  writeRendererFiles(outDir, after);
  expect(await page.evaluate(() => (window as unknown as { openView(): Promise<string> }).openView())).toBe('the build the page was opened on');

  const later = await page.context().newPage();
  await later.goto(`${origin}/`);
  await later.waitForFunction(() => 'openView' in window);
  expect(await later.evaluate(() => (window as unknown as { openView(): Promise<string> }).openView())).toBe('the new build');
});
