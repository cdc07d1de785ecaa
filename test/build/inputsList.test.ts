// What a build lists it was made from (build/inputs-list.mjs) and what the freshness check
// (build/fresh.cjs) sees with it: sources outside the checkout (a symlinked source, an npm-linked
// package) by their absolute paths, and the folders whose files decide what an import resolves to
// (x.ts added beside x/index.ts changes the build while no listed file changes). A synthetic
// checkout and the bundlers' answers as they give them (absolute paths, links resolved);
// buildAll.test.ts does the same with a real build.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeInputsList } from '../../build/inputs-list.mjs';

interface Problem { missing?: string; changed?: string }
const fresh = createRequire(import.meta.url)('../../build/fresh.cjs') as {
  BUILD_INPUTS: string;
  buildProblem(root: string): Problem | null;
  describeBuildProblem(problem: Problem): string;
};
const { BUILD_INPUTS, buildProblem, describeBuildProblem } = fresh;

const BUILT_S = 1_000_000;
let dir: string;
let checkout: string;
let outside: string;
const FILES = [
  'checkout/renderer/app/App.tsx', 'checkout/renderer/store/index.ts', 'checkout/shared/cbt.ts', 'checkout/package.json',
  'checkout/node_modules/.package-lock.json', 'checkout/node_modules/react/index.js', 'checkout/dist/web/main.cjs',
  'outside/lib/extra.ts', 'outside/lib/other.ts', 'outside/pkg/package.json', 'outside/pkg/src/index.js',
  'outside/pkg/node_modules/.package-lock.json', 'outside/pkg/node_modules/dep/index.js',
];
/** What the bundlers reported: absolute paths, a link in the checkout (renderer/app/extra.ts) given as what it names. */
const SOURCES = ['checkout/renderer/app/App.tsx', 'checkout/renderer/store/index.ts', 'checkout/shared/cbt.ts', 'checkout/node_modules/react/index.js',
  'outside/lib/extra.ts', 'outside/pkg/src/index.js', 'outside/pkg/node_modules/dep/index.js'];

/** Dates every file and folder under `path` at the build's time (before it started). */
function dateAll(...paths: string[]): void {
  for (const path of paths) utimesSync(join(dir, path), BUILT_S, BUILT_S);
}

function list(startedMs = Date.now()): void {
  writeInputsList(checkout, join(checkout, BUILD_INPUTS), {
    outputs: ['dist/web/main.cjs'], sources: SOURCES.map((s) => join(dir, s)), configs: ['package.json'], startedMs,
  });
}

const listed = () => JSON.parse(readFileSync(join(checkout, BUILD_INPUTS), 'utf8')) as { inputs: Record<string, number | null>; dirs: Record<string, { mtimeMs: number; names: string[] | null }> };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inputs-list-'));
  checkout = join(dir, 'checkout');
  outside = join(dir, 'outside');
  for (const file of FILES) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    writeFileSync(join(dir, file), 'x');
  }
  symlinkSync(join(outside, 'lib/extra.ts'), join(checkout, 'renderer/app/extra.ts'));
  const folders = new Set(FILES.flatMap((f) => { const up = []; for (let d = dirname(f); d !== '.'; d = dirname(d)) up.push(d); return up; }));
  dateAll(...FILES, ...folders);
  list();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the inputs list and the check, beyond the files the bundlers name', () => {
  it('lists sources outside the checkout by their absolute paths, a package\'s files by its node_modules lock, and the folders of the sources', () => {
    const { inputs, dirs } = listed();
    // A package.json above the temporary folder, if any, would be listed too: only this test's files are compared.
    expect(Object.keys(inputs).filter((path) => !path.startsWith('/') || path.startsWith(dir))).toEqual([
      join(outside, 'lib/extra.ts'), join(outside, 'pkg/node_modules/.package-lock.json'), join(outside, 'pkg/package.json'), join(outside, 'pkg/src/index.js'),
      'node_modules/.package-lock.json', 'package.json', 'renderer/app/App.tsx', 'renderer/store/index.ts', 'shared/cbt.ts',
    ].sort());
    expect(Object.keys(dirs)).toEqual([join(outside, 'lib'), join(outside, 'pkg'), join(outside, 'pkg/src'), 'renderer', 'renderer/app', 'renderer/store', 'shared'].sort());
    expect(dirs['renderer/app']).toEqual({ mtimeMs: BUILT_S * 1000, names: ['App.tsx', `extra.ts -> ${join(outside, 'lib/extra.ts')}`] });
    expect(buildProblem(checkout)).toBeNull();
  });

  it('sees an edit to a source outside the checkout (a symlinked source, an npm-linked package and its package.json)', () => {
    for (const file of ['lib/extra.ts', 'pkg/src/index.js', 'pkg/package.json']) {
      writeFileSync(join(outside, file), 'edited');
      expect(buildProblem(checkout)).toEqual({ changed: join(outside, file) });
      dateAll(join('outside', file));
    }
    expect(describeBuildProblem({ changed: join(outside, 'lib/extra.ts') })).toBe(`${join(outside, 'lib/extra.ts')} changed since dist/ was built`);
    expect(buildProblem(checkout)).toBeNull();
  });

  it('sees a file added beside a folder an import resolved into (store.ts beside store/index.ts), and no change once it is gone', () => {
    writeFileSync(join(checkout, 'renderer/store.ts'), 'export {};\n');
    expect(buildProblem(checkout)).toEqual({ changed: 'renderer/' });
    expect(describeBuildProblem({ changed: 'renderer/' })).toBe('renderer/ holds other files than when dist/ was built');
    unlinkSync(join(checkout, 'renderer/store.ts'));
    expect(buildProblem(checkout)).toBeNull(); // the folder's mtime moved; its entries are as built
    writeFileSync(join(outside, 'pkg/src.js'), ''); // outside: `./src` from the package now means src.js
    expect(buildProblem(checkout)).toEqual({ changed: `${join(outside, 'pkg')}/` });
  });

  it('sees a link in the checkout pointed at another file', () => {
    unlinkSync(join(checkout, 'renderer/app/extra.ts'));
    symlinkSync(join(outside, 'lib/other.ts'), join(checkout, 'renderer/app/extra.ts'));
    expect(buildProblem(checkout)).toEqual({ changed: 'renderer/app/' });
  });

  it('does not rebuild for an editor\'s swap, backup, lock or temporary file beside a source, nor a new folder', () => {
    for (const name of ['.App.tsx.swp', 'App.tsx~', '#App.tsx#', 'App.tsx.orig', 'notes.md']) writeFileSync(join(checkout, 'renderer/app', name), '');
    symlinkSync('user@host.1234', join(checkout, 'renderer/app/.#App.tsx'));
    mkdirSync(join(checkout, 'renderer/app/newView'));
    expect(buildProblem(checkout)).toBeNull();
  });

  it('lists a folder changed while the build ran without its entries, so the next check rebuilds', () => {
    const startedMs = Date.now() - 1000;
    utimesSync(join(checkout, 'shared'), new Date(), new Date());
    list(startedMs);
    expect(listed().dirs.shared).toEqual({ mtimeMs: -1, names: null });
    expect(buildProblem(checkout)).toEqual({ changed: 'shared/' });
  });

  it('reads a list written before folders were listed', () => {
    const { dirs: _dirs, ...before } = listed();
    writeFileSync(join(checkout, BUILD_INPUTS), JSON.stringify(before));
    expect(buildProblem(checkout)).toBeNull();
  });
});
