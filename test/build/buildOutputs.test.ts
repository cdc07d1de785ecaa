// Every output of a build is written to a new file renamed into place (build/build.mjs
// replaceFile), never rewritten where it is: a web server loading the first-paint bundle, a window
// loading the renderer or a blksnapctl call reading its bundle while `npm start` or `npm run build`
// rebuilds them reads a whole file, the old one or the new. (The CLI's bundles: cliBuild.test.ts.)
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');
let outDir: string;

beforeEach(() => {
  outDir = mkdtempSync(join(tmpdir(), 'build-outputs-'));
});
afterEach(() => rmSync(outDir, { recursive: true, force: true }));

const inode = (path: string) => statSync(join(outDir, path)).ino;
const tmpFiles = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));

describe('the build replaces what it writes', { timeout: 240_000 }, () => {
  it('the first-paint bundle and the Electron main process and preload: each a new file at every build', async () => {
    const { build } = await import('esbuild');
    const { buildElectronEntries, buildFirstPaint, FIRST_PAINT } = await import('../../build/build.mjs');
    const outputs = [FIRST_PAINT.out, `${FIRST_PAINT.out}.map`, 'electron/main.mjs', 'electron/preload.cjs'];
    const buildBoth = async () => {
      await buildFirstPaint(build, { outDir, logLevel: 'error' });
      await buildElectronEntries(build, { outDir, logLevel: 'error', quiet: true });
    };
    await buildBoth();
    const before = outputs.map(inode);
    await buildBoth();
    expect(outputs.filter((o, i) => inode(o) === before[i])).toEqual([]);
    expect(tmpFiles(outDir)).toEqual([]);
  });

  // Seventh session (review): the temporary file was opened with writeFileSync, which follows a
  // link. A build run as root in another user's checkout (sudo npm start) wrote the bundle through
  // a link that user left at <output>.<pid>.tmp into any file of the machine, and put the link in
  // the output's place.
  it('writes its temporary file itself, never through a link left at its name', async () => {
    const { build } = await import('esbuild');
    const { buildFirstPaint, FIRST_PAINT } = await import('../../build/build.mjs');
    const victimDir = mkdtempSync(join(tmpdir(), 'build-victim-'));
    try {
      const victim = join(victimDir, 'precious');
      writeFileSync(victim, 'not the build\'s\n');
      const out = join(outDir, FIRST_PAINT.out);
      mkdirSync(join(out, '..'), { recursive: true });
      symlinkSync(victim, `${out}.${process.pid}.tmp`);
      await buildFirstPaint(build, { outDir, logLevel: 'error' });
      expect(readFileSync(victim, 'utf8')).toBe('not the build\'s\n');
      expect(lstatSync(out).isFile()).toBe(true);
      expect(statSync(out).mode & 0o022).toBe(0); // no one else may write it
      expect(tmpFiles(outDir)).toEqual([]);
    } finally {
      rmSync(victimDir, { recursive: true, force: true });
    }
  });

  // Seventh session (review): the clean-up after the renderer's build removed every file it had not
  // written under dist/renderer, and followed dist/renderer where it was a link to another folder.
  it('removes no file from a folder that dist/renderer links to', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'build-elsewhere-'));
    try {
      writeFileSync(join(elsewhere, 'precious.txt'), 'not the build\'s\n');
      symlinkSync(elsewhere, join(outDir, 'renderer'));
      await new Promise<void>((done, fail) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', `
          const { buildRenderer } = await import(${JSON.stringify(pathToFileURL(join(root, 'build/build.mjs')).href)});
          await buildRenderer({ outDir: ${JSON.stringify(join(outDir, 'renderer'))}, logLevel: 'error' });
        `], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
        child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`buildRenderer exited ${code}:\n${stderr}`))));
      });
      expect(readFileSync(join(elsewhere, 'precious.txt'), 'utf8')).toBe('not the build\'s\n');
      expect(readFileSync(join(elsewhere, 'index.html'), 'utf8').trimEnd().endsWith('</html>')).toBe(true);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  // The previous build's files stay for the pages still open on it (build/outputs.mjs; the rule
  // itself, with pages served: outputs.test.ts).
  it('the renderer: index.html is there, whole, all through a rebuild; the previous build\'s files remain, older ones go', async () => {
    const renderer = join(outDir, 'renderer');
    // In a child whose working directory is not the checkout: vite.config.ts's root is relative,
    // and a build started elsewhere (the installed blksnap-manager) found no renderer/index.html.
    const buildRenderer = () => new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', `
        const { buildRenderer } = await import(${JSON.stringify(pathToFileURL(join(root, 'build/build.mjs')).href)});
        await buildRenderer({ outDir: ${JSON.stringify(renderer)}, logLevel: 'error' });
      `], { cwd: tmpdir(), stdio: ['ignore', 'inherit', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
      child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`buildRenderer exited ${code}:\n${stderr}`))));
    });
    await buildRenderer();
    const index = join(renderer, 'index.html');
    const firstHtml = readFileSync(index, 'utf8');
    expect(firstHtml.trimEnd().endsWith('</html>')).toBe(true);
    // As if the build before this one had made one more chunk, and one older than that were left.
    const builds = join(renderer, '.builds.json');
    const { current } = JSON.parse(readFileSync(builds, 'utf8')) as { current: string[] };
    const previous = join(renderer, 'assets/view-previous.js');
    const older = join(renderer, 'assets/view-older.js');
    writeFileSync(previous, '// the previous build');
    writeFileSync(older, '// a build before that');
    writeFileSync(builds, JSON.stringify({ current: [...current, 'assets/view-previous.js'], previous: [] }));
    const before = statSync(index).ino;

    let reads = 0;
    const bad: string[] = [];
    let building = true;
    const rebuilt = buildRenderer().finally(() => void (building = false));
    while (building) {
      reads++;
      try {
        if (!readFileSync(index, 'utf8').trimEnd().endsWith('</html>')) bad.push('partial');
      } catch (err) {
        bad.push((err as NodeJS.ErrnoException).code ?? String(err));
      }
      await new Promise((r) => setImmediate(r));
    }
    await rebuilt;
    expect(reads).toBeGreaterThan(100);
    expect([...new Set(bad)]).toEqual([]);
    expect(statSync(index).ino).not.toBe(before);
    expect(readFileSync(index, 'utf8')).toBe(firstHtml);
    expect(readFileSync(previous, 'utf8')).toBe('// the previous build');
    expect(() => statSync(older)).toThrow();
    for (const file of current) expect(statSync(join(renderer, file)).isFile(), file).toBe(true);
    expect(tmpFiles(renderer)).toEqual([]);
  });
});
