#!/usr/bin/env node
// npm test: typecheck, lint, unit tests (vitest), build, end-to-end tests (Playwright in
// Debian's chromium). Ends with one line totalling every runner: `N passed, N failed, N skipped`.
// Typecheck, lint and build count as one check each.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const only = process.argv.slice(2); // e.g. `npm test -- unit` runs only the named stages
const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
const failures = [];
// eslint-disable-next-line no-control-regex
const firstLine = (text) => String(text ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) ?.slice(0, 240) ?? ''; // `runner: file › test` of every failed test, printed again just above the totals

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function count(name, passed, failed, skipped, note = '') {
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  lines.push(`${name.padEnd(10)} ${passed} passed, ${failed} failed, ${skipped} skipped${note ? `  (${note})` : ''}`);
}

async function check(name, cmd, args) {
  const code = await run(cmd, args);
  count(name, code === 0 ? 1 : 0, code === 0 ? 0 : 1, 0);
  return code === 0;
}

const npx = join(root, 'node_modules', '.bin');
const want = (stage) => only.length === 0 || only.includes(stage);

if (want('typecheck')) {
  await check('typecheck', join(npx, 'tsc'), ['-p', 'tsconfig.json']);
  await check('shared', join(npx, 'tsc'), ['-p', 'tsconfig.shared.json']);
}
if (want('lint')) await check('lint', join(npx, 'eslint'), ['--max-warnings', '0', '.']);

if (want('unit')) {
  const out = join(results, 'vitest.json');
  rmSync(out, { force: true });
  const code = await run(join(npx, 'vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    const failedFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
    for (const f of r.testResults ?? []) {
      const file = f.name.startsWith(root) ? f.name.slice(root.length + 1) : f.name;
      if (f.status === 'failed' && (f.assertionResults ?? []).length === 0) failures.push(`unit: ${file} (did not load: ${String(f.message ?? '').split('\n')[0]})`);
      for (const a of f.assertionResults ?? []) {
        if (a.status === 'failed') failures.push(`unit: ${file} › ${a.fullName}: ${firstLine((a.failureMessages ?? [])[0])}`);
      }
    }
    count('unit', r.numPassedTests, r.numFailedTests + failedFiles, r.numPendingTests + r.numTodoTests, failedFiles ? `${failedFiles} file(s) failed to load` : '');
  } else {
    count('unit', 0, 1, 0, `vitest exited ${code} without a report`);
  }
}

let built = true;
if (want('e2e') || want('build')) built = await check('build', process.execPath, [join(root, 'build', 'build.mjs')]);

if (want('e2e')) {
  const out = join(results, 'playwright.json');
  rmSync(out, { force: true });
  if (!built) {
    count('e2e', 0, 1, 0, 'not run: the build failed');
  } else {
    const code = await run(join(npx, 'playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: out });
    if (existsSync(out)) {
      const report = JSON.parse(readFileSync(out, 'utf8'));
      const s = report.stats ?? {};
      const errors = (report.errors ?? []).length;
      for (const e of report.errors ?? []) failures.push(`e2e: ${String(e.message ?? '').split('\n')[0]}`);
      const walk = (suite, path) => {
        for (const spec of suite.specs ?? []) {
          for (const t of spec.tests ?? []) {
            const statuses = (t.results ?? []).map((x) => x.status);
            const why = firstLine((t.results ?? []).find((x) => x.error)?.error?.message);
            if (t.status === 'unexpected' || t.status === 'flaky') failures.push(`e2e: ${[...path, spec.title].join(' › ')} (${t.status}: ${statuses.join(', ')}): ${why}`);
          }
        }
        for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
      };
      for (const suite of report.suites ?? []) walk(suite, [suite.title]);
      count('e2e', (s.expected ?? 0) + (s.flaky ?? 0), (s.unexpected ?? 0) + errors, s.skipped ?? 0, s.flaky ? `${s.flaky} flaky` : '');
    } else {
      count('e2e', 0, 1, 0, `playwright exited ${code} without a report`);
    }
  }
}

console.log('\n' + lines.join('\n'));
if (failures.length) console.log(`failed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
