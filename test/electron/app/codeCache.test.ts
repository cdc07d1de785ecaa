// The V8 code cache of the Node entries (electron/app/codeCache.ts): a bundle runs as CommonJS,
// its cache is written once and used by the next run, and a cache that belongs to other source
// (same length, other bytes: V8 alone would take it) is never used.
import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync, renameSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheFileOf, runWithCodeCache } from '../../../electron/app/codeCache';
import { noteCodePath } from '../../../electron/app/codePaths';
import { skipBecause } from '../../skip';

let dir: string;
let bundle: string;
const results = globalThis as { codeCacheTest?: unknown[] };

/** A bundle that records what it saw; `value` is a one-character marker so versions have one length. */
function writeBundle(value: string, mtimeSec: number): void {
  writeFileSync(bundle, `const path = require('node:path');
globalThis.codeCacheTest.push({ value: '${value}', base: path.basename(__filename), dir: __dirname === path.dirname(__filename), strict: (function () { return this === undefined; })() });
module.exports.answer = 42;
`);
  utimesSync(bundle, mtimeSec, mtimeSec);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'code-cache-'));
  bundle = join(dir, 'main.cjs');
  results.codeCacheTest = [];
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  delete results.codeCacheTest;
});

describe('runWithCodeCache', () => {
  it('runs the bundle as a strict CommonJS module with require, __filename and __dirname', () => {
    writeBundle('a', 1_000_000);
    const run = runWithCodeCache(bundle);
    expect(results.codeCacheTest).toEqual([{ value: 'a', base: 'main.cjs', dir: true, strict: true }]);
    expect(run.used).toBe(false);
    expect(run.exports).toEqual({ answer: 42 });
  });

  it('hands back what the bundle exports, also when it replaces module.exports', () => {
    writeFileSync(bundle, 'module.exports = function render() { return "<p>"; };\n');
    const first = runWithCodeCache(bundle);
    expect(first.write()).toBe(true);
    for (const run of [first, runWithCodeCache(bundle)]) {
      expect(typeof run.exports).toBe('function');
      expect((run.exports as () => string)()).toBe('<p>');
    }
  });

  it('writes the cache once and the next run uses it', () => {
    writeBundle('a', 1_000_000);
    const first = runWithCodeCache(bundle);
    expect(existsSync(cacheFileOf(bundle))).toBe(false);
    expect(first.write()).toBe(true);
    expect(first.write()).toBe(false);
    expect(existsSync(cacheFileOf(bundle))).toBe(true);
    const second = runWithCodeCache(new URL(`file://${bundle}`));
    expect(second.used).toBe(true);
    expect(second.write()).toBe(false);
    expect(results.codeCacheTest).toHaveLength(2);
  });

  /** A bundle exporting two functions, each compiled only when called (V8 compiles lazily). */
  function writeTwoPaths(): void {
    const body = (name: string) => Array.from({ length: 200 }, (_, i) => `  total += ${name}Step${i % 7}(${i}, total);`).join('\n');
    const steps = (name: string) => Array.from({ length: 7 }, (_, i) => `function ${name}Step${i}(a, b) { return (a * ${i + 3} + b) % 1000003; }`).join('\n');
    writeFileSync(bundle, `${steps('a')}\n${steps('b')}
module.exports.pathA = function pathA() { let total = 0;\n${body('a')}\n  return total; };
module.exports.pathB = function pathB() { let total = 0;\n${body('b')}\n  return total; };
`);
  }
  type TwoPaths = { pathA(): number; pathB(): number };

  it('a run that took a code path the cache was not made on rewrites it at exit, holding what both compiled', () => {
    writeTwoPaths();
    const first = runWithCodeCache(bundle);
    (first.exports as TwoPaths).pathA();
    noteCodePath('a');
    expect(first.write()).toBe(true);
    const sizeA = statSync(cacheFileOf(bundle)).size;
    const second = runWithCodeCache(bundle);
    expect(second.used).toBe(true);
    (second.exports as TwoPaths).pathB();
    noteCodePath('b');
    expect(second.write()).toBe(true);
    expect(second.write()).toBe(false);
    // pathB's code joined pathA's: the cache grew, and a run on either path now leaves it.
    expect(statSync(cacheFileOf(bundle)).size).toBeGreaterThan(sizeA + 1000);
    for (const path of ['a', 'b'] as const) {
      const run = runWithCodeCache(bundle);
      expect(run.used).toBe(true);
      (run.exports as TwoPaths)[path === 'a' ? 'pathA' : 'pathB']();
      noteCodePath(path);
      expect(run.write()).toBe(false);
    }
  });

  it('a cache the first run after a build made on no path (blksnapctl help) is rewritten by the first run on one', () => {
    writeTwoPaths();
    expect(runWithCodeCache(bundle).write()).toBe(true);
    const idle = runWithCodeCache(bundle);
    expect(idle.used).toBe(true);
    expect(idle.write()).toBe(false);
    const run = runWithCodeCache(bundle);
    (run.exports as TwoPaths).pathA();
    noteCodePath('a');
    expect(run.write()).toBe(true);
  });

  it('ignores a cache made for other source of the same length and runs the new source', () => {
    writeBundle('a', 1_000_000);
    runWithCodeCache(bundle).write();
    writeBundle('b', 1_000_100);
    const run = runWithCodeCache(bundle);
    expect(run.used).toBe(false);
    expect(results.codeCacheTest!.at(-1)).toMatchObject({ value: 'b' });
    // The stale cache is replaced by one for the new source.
    expect(run.write()).toBe(true);
    expect(runWithCodeCache(bundle).used).toBe(true);
  });

  it('ignores a cache for other source of the same length and the same mtime (npm pack dates every file alike)', () => {
    writeBundle('a', 499_162_500);
    runWithCodeCache(bundle).write();
    writeBundle('b', 499_162_500);
    const run = runWithCodeCache(bundle);
    expect(run.used).toBe(false);
    expect(results.codeCacheTest!.at(-1)).toMatchObject({ value: 'b' });
  });

  it('never uses a cache file others can write, or one behind a link (it is compiled code)', () => {
    writeBundle('a', 1_000_000);
    runWithCodeCache(bundle).write();
    chmodSync(cacheFileOf(bundle), 0o666);
    expect(runWithCodeCache(bundle).used).toBe(false);
    chmodSync(cacheFileOf(bundle), 0o600);
    expect(runWithCodeCache(bundle).used).toBe(true);
    renameSync(cacheFileOf(bundle), join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), cacheFileOf(bundle));
    expect(runWithCodeCache(bundle).used).toBe(false);
  });

  it('ignores a damaged cache file', () => {
    writeBundle('a', 1_000_000);
    writeFileSync(cacheFileOf(bundle), Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
    expect(runWithCodeCache(bundle).used).toBe(false);
    writeFileSync(cacheFileOf(bundle), '');
    expect(runWithCodeCache(bundle).used).toBe(false);
    expect(results.codeCacheTest).toHaveLength(2);
  });

  it('runs without a cache where the cache cannot be written', () => {
    writeBundle('a', 1_000_000);
    // A directory where the cache file would go: reading and renaming onto it fail (as root too).
    mkdirSync(join(cacheFileOf(bundle), 'x'), { recursive: true });
    const run = runWithCodeCache(bundle);
    expect(run.used).toBe(false);
    expect(run.write()).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['main.cjs', 'main.cjs.v8cache']);
    expect(results.codeCacheTest).toHaveLength(1);
  });

  const isRoot = process.geteuid?.() === 0;
  it.skipIf(skipBecause('the other-owner code-cache test', !isRoot && 'it needs root to give the bundle\'s folder to another user', 'as root (CI runs as root)'))(
    'leaves no cache in a folder another user owns (sudo in a user\'s checkout), and runs the bundle all the same',
    () => {
      writeBundle('a', 1_000_000);
      chownSync(dir, 65534, 65534);
      const run = runWithCodeCache(bundle);
      expect(run.write()).toBe(false);
      expect(readdirSync(dir)).toEqual(['main.cjs']);
      expect(results.codeCacheTest).toHaveLength(1);
      chownSync(dir, 0, 0);
      expect(runWithCodeCache(bundle).write()).toBe(true);
    },
  );
});
