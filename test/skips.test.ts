// Every skip in test/ says why and where the test does run (issue 17): vitest skips go through
// skipBecause (test/skip.ts) or skipWithout (test/deploy/tools.ts, built on it); Playwright's
// test.skip(condition, reason) carries its reason. Unconditional skips and todos are refused.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { skipBecause } from './skip';

const TEST_DIR = __dirname;
const HELPERS = /^(skipBecause|skipWithout)\(/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(path);
    return /\.(test|spec)\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/** The text between the parenthesis at `open` and its match, split at top-level commas. */
function callArguments(source: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  let quote: string | null = null;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '\'' || c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(source.slice(start, i).trim());
        return args.filter((a) => a !== '');
      }
    } else if (c === ',' && depth === 1) {
      args.push(source.slice(start, i).trim());
      start = i + 1;
    }
  }
  return args;
}

/** The skips in one file that do not say why: `file:line: what is wrong`. */
export function unexplainedSkips(file: string, source: string): string[] {
  const playwright = file.endsWith('.spec.ts');
  const problems: string[] = [];
  const lineOf = (index: number) => source.slice(0, index).split('\n').length;
  for (const m of source.matchAll(/\b(describe|it|test|suite)((?:\.\w+)*)\.(skipIf|runIf|skip|todo|fixme)\(/g)) {
    const at = `${file}:${lineOf(m.index)}`;
    const args = callArguments(source, m.index + m[0].length - 1);
    const kind = m[3]!;
    if (playwright) {
      if (kind === 'skip' && args.length >= 2 && !/^(''|""|``)$/.test(args[1]!)) continue;
      problems.push(`${at}: ${m[1]}.${kind}(${args[0] ?? ''}) without a reason`);
      continue;
    }
    if (kind === 'skipIf') {
      const condition = args[0] ?? '';
      const named = /^\w+$/.test(condition) && new RegExp(`\\b(const|let)\\s+${condition}\\s*=\\s*(skipBecause|skipWithout)\\(`).test(source);
      if (HELPERS.test(condition) || named) continue;
      problems.push(`${at}: skipIf(${condition}) does not go through skipBecause, so it prints no reason`);
    } else {
      problems.push(`${at}: ${m[1]}${m[2]}.${kind}(…) skips without a printed reason; use skipIf(skipBecause(what, why, where it runs))`);
    }
  }
  // A test's own context: ctx.skip() needs skipBecause just before it.
  for (const m of source.matchAll(/\b(\w+)\.skip\(/g)) {
    if (['describe', 'it', 'test', 'suite'].includes(m[1]!)) continue;
    const before = source.slice(0, m.index).split('\n').slice(-4).join('\n');
    if (!/skipBecause\(/.test(before)) problems.push(`${file}:${lineOf(m.index)}: ${m[1]}.skip() without skipBecause just before it`);
  }
  return problems;
}

describe('skipped tests', () => {
  it('every skip in test/ prints why and where it runs', () => {
    const problems = testFiles(TEST_DIR).filter((f) => !f.endsWith('skips.test.ts'))
      .flatMap((f) => unexplainedSkips(relative(TEST_DIR, f), readFileSync(f, 'utf8')));
    expect(problems).toEqual([]);
  });

  it('the check finds the skips that say nothing, and accepts those that do', () => {
    const bad = [
      "describe.skipIf(!inCi)('x', () => {});",
      "it.skipIf(missing !== null)('x', () => {});",
      "it.skip('x', () => {});",
      "it.todo('x');",
      "test('x', (ctx) => { if (why) ctx.skip(); });",
    ];
    for (const source of bad) expect(unexplainedSkips('a.test.ts', source), source).toHaveLength(1);
    const good = [
      "describe.skipIf(skipBecause('x', why, 'in CI'))('x', () => {});",
      "const skipX = skipWithout('x', 'promtool');\nit.skipIf(skipX)('x', () => {});",
      "test('x', (ctx) => {\n  if (why) {\n    skipBecause('x', why, 'in CI');\n    ctx.skip();\n  }\n});",
    ];
    for (const source of good) expect(unexplainedSkips('a.test.ts', source), source).toEqual([]);
    expect(unexplainedSkips('a.spec.ts', "test.skip(!binary, `needs electron: ${why}`);")).toEqual([]);
    expect(unexplainedSkips('a.spec.ts', 'test.skip(!binary);')).toHaveLength(1);
  });
});

describe('skipBecause', () => {
  afterEach(() => vi.restoreAllMocks());

  it('skips and prints what, why and where it runs, once per reason; runs silently without a reason', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(skipBecause('the thing', null, 'in CI')).toBe(false);
    expect(skipBecause('the thing', false, 'in CI')).toBe(false);
    expect(log).not.toHaveBeenCalled();
    expect(skipBecause('the thing', 'gcc is missing', 'wherever gcc is installed, and always in CI')).toBe(true);
    expect(skipBecause('the thing', 'gcc is missing', 'wherever gcc is installed, and always in CI')).toBe(true);
    expect(log.mock.calls).toEqual([['skipped: the thing: gcc is missing; it runs wherever gcc is installed, and always in CI']]);
  });
});
