// npm start rebuilds when a source changed since the last build (build/build.mjs changedSince):
// an edited file at any depth, an added or a removed one; a path that does not exist is no change.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changedSince as changed, SOURCES } from '../../build/build.mjs';

const BUILT_S = 1_000_000;
const BUILT_MS = BUILT_S * 1000;
let dir: string;

/** Every path under `dir` gets an mtime before the build. */
function age(...paths: string[]): void {
  for (const p of paths) utimesSync(p, BUILT_S - 10, BUILT_S - 10);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'changed-since-'));
  mkdirSync(join(dir, 'src/a/b'), { recursive: true });
  writeFileSync(join(dir, 'src/a/b/deep.ts'), 'x');
  writeFileSync(join(dir, 'src/top.ts'), 'x');
  writeFileSync(join(dir, 'package.json'), '{}');
  age(join(dir, 'src/a/b/deep.ts'), join(dir, 'src/top.ts'), join(dir, 'package.json'), join(dir, 'src/a/b'), join(dir, 'src/a'), join(dir, 'src'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sources = () => [join(dir, 'src'), join(dir, 'package.json'), join(dir, 'no-such-file.ts')];

describe('changedSince', () => {
  it('finds nothing when every file and folder is older than the build', () => {
    expect(changed(sources(), BUILT_MS)).toBe(false);
  });

  it('finds an edited file at any depth, and a top-level file', () => {
    utimesSync(join(dir, 'src/a/b/deep.ts'), BUILT_S + 1, BUILT_S + 1);
    expect(changed(sources(), BUILT_MS)).toBe(true);
    age(join(dir, 'src/a/b/deep.ts'));
    utimesSync(join(dir, 'package.json'), BUILT_S + 1, BUILT_S + 1);
    expect(changed(sources(), BUILT_MS)).toBe(true);
  });

  it('finds an added and a removed file by its folder', () => {
    writeFileSync(join(dir, 'src/a/new.ts'), 'x');
    age(join(dir, 'src/a/new.ts'));
    expect(changed(sources(), BUILT_MS)).toBe(true);
    age(join(dir, 'src/a'));
    expect(changed(sources(), BUILT_MS)).toBe(false);
    rmSync(join(dir, 'src/a/b/deep.ts'));
    expect(changed(sources(), BUILT_MS)).toBe(true);
  });

  it('follows a linked folder', () => {
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'elsewhere/linked.ts'), 'x');
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'src/linked'));
    age(join(dir, 'elsewhere/linked.ts'), join(dir, 'elsewhere'), join(dir, 'src'));
    expect(changed(sources(), BUILT_MS)).toBe(false);
    utimesSync(join(dir, 'elsewhere/linked.ts'), BUILT_S + 1, BUILT_S + 1);
    expect(changed(sources(), BUILT_MS)).toBe(true);
  });
});

describe('the sources npm start watches', () => {
  it('include every local module vite.config.ts imports (an edit to one must rebuild index.html)', () => {
    const root = join(import.meta.dirname, '../..');
    const config = readFileSync(join(root, 'vite.config.ts'), 'utf8');
    const local = [...config.matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1]!);
    expect(local.length).toBeGreaterThan(0);
    for (const file of local) expect(SOURCES.some((s) => file === s || file.startsWith(`${s}/`)), file).toBe(true);
  });
});
