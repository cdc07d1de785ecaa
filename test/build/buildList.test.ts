// npm start rebuilds dist/ when it is not made from the sources as they are (build/fresh.cjs
// buildProblem): the whole build lists its outputs and each input's mtime (build/build.mjs,
// dist/build.inputs.json), and the check compares them for equality. Unit tests on a listed
// build in a synthetic checkout; test/build/buildAll.test.ts runs the real build and npm start.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_CONFIG, RENDERER_CONFIG } from '../../build/build.mjs';

interface Problem { missing?: string; changed?: string }
const fresh = createRequire(import.meta.url)('../../build/fresh.cjs') as {
  BUILD_INPUTS: string;
  buildProblem(root: string): Problem | null;
  buildIsFresh(root: string): boolean;
  describeBuildProblem(problem: Problem): string;
};
const { BUILD_INPUTS, buildProblem, buildIsFresh, describeBuildProblem } = fresh;

const BUILT_S = 1_000_000;
const OUTPUTS = ['dist/web/main.cjs', 'dist/web/first-paint.cjs', 'dist/renderer/index.html', 'dist/electron/main.mjs'];
const SOURCES = ['renderer/app/App.tsx', 'electron/web/main.ts', 'shared/cbt.ts', 'package.json'];
let dir: string;

function write(path: string, text = 'x', mtimeS = BUILT_S): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
  utimesSync(join(dir, path), mtimeS, mtimeS);
}

/** Lists the checkout's sources with their mtimes now, as build/build.mjs does after a build. */
function list(): void {
  const inputs = Object.fromEntries(SOURCES.map((s) => [s, BUILT_S * 1000]));
  writeFileSync(join(dir, BUILD_INPUTS), JSON.stringify({ outputs: OUTPUTS, inputs }));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-list-'));
  for (const path of [...OUTPUTS, ...SOURCES]) write(path);
  list();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('buildProblem: is the whole build in dist/ complete and made from the sources as they are', () => {
  it('finds nothing wrong when every output exists and every input has its listed mtime', () => {
    expect(buildProblem(dir)).toBeNull();
    expect(buildIsFresh(dir)).toBe(true);
  });

  it('is not led round a symlink loop under renderer/, electron/ or shared/ (it walks no folder)', () => {
    symlinkSync('.', join(dir, 'renderer/loop'));
    symlinkSync('..', join(dir, 'electron/up'));
    expect(buildProblem(dir)).toBeNull();
  });

  it('trusts no clock: a source dated in the future, as listed, is current (no rebuild at every start)', () => {
    const future = Math.floor(Date.now() / 1000) + 86_400;
    utimesSync(join(dir, 'renderer/app/App.tsx'), future, future);
    expect(buildProblem(dir)).toEqual({ changed: 'renderer/app/App.tsx' });
    const listed = JSON.parse(readFileSync(join(dir, BUILD_INPUTS), 'utf8')) as { inputs: Record<string, number> };
    listed.inputs['renderer/app/App.tsx'] = future * 1000;
    writeFileSync(join(dir, BUILD_INPUTS), JSON.stringify(listed));
    expect(buildProblem(dir)).toBeNull();
  });

  it('sees an older version of a source put back with its own older date (tar, cp -a, rsync -a)', () => {
    write('renderer/app/App.tsx', 'older', BUILT_S - 3600);
    expect(buildProblem(dir)).toEqual({ changed: 'renderer/app/App.tsx' });
  });

  it('sees a git checkout of an older commit', () => {
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' });
    expect(git('init', '-q').status).toBe(0);
    git('add', 'shared/cbt.ts');
    git('commit', '-qm', 'one');
    write('shared/cbt.ts', 'two');
    git('commit', '-qam', 'two');
    utimesSync(join(dir, 'shared/cbt.ts'), BUILT_S, BUILT_S);
    expect(buildProblem(dir)).toBeNull();
    expect(git('checkout', '-q', 'HEAD~1', '--', 'shared/cbt.ts').status).toBe(0);
    expect(readFileSync(join(dir, 'shared/cbt.ts'), 'utf8')).toBe('x');
    expect(buildProblem(dir)).toEqual({ changed: 'shared/cbt.ts' });
  });

  it('names a source that is gone, an output that is missing, and a build without its list as incomplete', () => {
    rmSync(join(dir, 'shared/cbt.ts'));
    expect(buildProblem(dir)).toEqual({ changed: 'shared/cbt.ts' });
    write('shared/cbt.ts');
    rmSync(join(dir, 'dist/web/first-paint.cjs'));
    expect(buildProblem(dir)).toEqual({ missing: 'dist/web/first-paint.cjs' });
    write('dist/web/first-paint.cjs');
    writeFileSync(join(dir, BUILD_INPUTS), '{"outputs": [');
    expect(buildProblem(dir)).toEqual({ missing: BUILD_INPUTS });
    rmSync(join(dir, BUILD_INPUTS));
    expect(buildProblem(dir)).toEqual({ missing: BUILD_INPUTS });
  });

  it('says what it found as people read it', () => {
    expect(describeBuildProblem({ missing: BUILD_INPUTS })).toBe(`dist/ holds no complete build (${BUILD_INPUTS} is missing)`);
    expect(describeBuildProblem({ missing: 'dist/web/main.cjs' })).toBe('dist/web/main.cjs is missing');
    expect(describeBuildProblem({ changed: 'shared/cbt.ts' })).toBe('shared/cbt.ts changed since dist/ was built');
  });
});

describe('the configuration the build lists', () => {
  it('includes build/build.mjs and every local module it imports, theirs too (an edit to one may change every bundle or the list)', () => {
    const root = join(import.meta.dirname, '../..');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(/(?:from|import\() *'\.\/([^']+)'/g)) visit(join(dirname(file), m[1]!));
    };
    visit('build/build.mjs');
    expect(seen.size).toBeGreaterThan(1);
    for (const file of seen) expect(BUILD_CONFIG, file).toContain(file);
  });

  it('includes every local module vite.config.ts imports (an edit to one must rebuild index.html)', () => {
    const root = join(import.meta.dirname, '../..');
    const config = readFileSync(join(root, 'vite.config.ts'), 'utf8');
    const local = [...config.matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1]!);
    expect(local.length).toBeGreaterThan(0);
    expect(RENDERER_CONFIG).toContain('vite.config.ts');
    for (const file of local) expect(RENDERER_CONFIG, file).toContain(file);
  });
});
