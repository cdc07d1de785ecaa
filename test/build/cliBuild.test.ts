// The installed blksnapctl runs a CLI build made from the sources as they are (build/cli-build.cjs,
// bin/blksnapctl.cjs): a stale or partial build is rebuilt before the call, or, where this run must
// not build, the user is told what to run. Unit tests on a listed build, then the launcher end to
// end in a copy of the checkout (its own dist/, so the repository's build is left alone).
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipBecause } from '../skip';

interface Problem { missing?: string; changed?: string }
const cliBuild = createRequire(import.meta.url)('../../build/cli-build.cjs') as {
  CLI_INPUTS: string;
  CLI_BUILD_LOCK: string;
  cliBuildProblem(root: string): Problem | null;
};
const { CLI_BUILD_LOCK, CLI_INPUTS, cliBuildProblem } = cliBuild;

const root = resolve(__dirname, '..', '..');
const BUILT_S = 1_000_000;

describe('cliBuildProblem: is the listed CLI build complete and current', () => {
  let dir: string;
  const write = (path: string, text = 'x') => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
    utimesSync(join(dir, path), BUILT_S, BUILT_S);
  };
  const list = (inputs: Record<string, number | null>) => {
    mkdirSync(join(dir, 'dist/cli'), { recursive: true });
    writeFileSync(join(dir, CLI_INPUTS), JSON.stringify({ outputs: ['dist/cli/blksnapctl.cjs', 'dist/code-cache.cjs'], inputs }));
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-build-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing wrong when every output exists and every input has its listed mtime', () => {
    for (const path of ['dist/cli/blksnapctl.cjs', 'dist/code-cache.cjs', 'electron/cli/main.ts', 'shared/cbt.ts']) write(path);
    list({ 'electron/cli/main.ts': BUILT_S * 1000, 'shared/cbt.ts': BUILT_S * 1000, 'package-lock.json': null });
    expect(cliBuildProblem(dir)).toBeNull();
  });

  it('names an input whose mtime differs, either way (an edit, a git checkout of an older commit)', () => {
    utimesSync(join(dir, 'shared/cbt.ts'), BUILT_S + 1, BUILT_S + 1);
    expect(cliBuildProblem(dir)).toEqual({ changed: 'shared/cbt.ts' });
    utimesSync(join(dir, 'shared/cbt.ts'), BUILT_S - 1, BUILT_S - 1);
    expect(cliBuildProblem(dir)).toEqual({ changed: 'shared/cbt.ts' });
    utimesSync(join(dir, 'shared/cbt.ts'), BUILT_S, BUILT_S);
    expect(cliBuildProblem(dir)).toBeNull();
  });

  it('names an input that is gone, and one that did not exist at the build and does now', () => {
    rmSync(join(dir, 'shared/cbt.ts'));
    expect(cliBuildProblem(dir)).toEqual({ changed: 'shared/cbt.ts' });
    write('shared/cbt.ts');
    write('package-lock.json');
    expect(cliBuildProblem(dir)).toEqual({ changed: 'package-lock.json' });
    rmSync(join(dir, 'package-lock.json'));
  });

  it('trusts no clock: an input dated in the future, as listed, is current', () => {
    const future = Math.floor(Date.now() / 1000) + 86_400;
    utimesSync(join(dir, 'electron/cli/main.ts'), future, future);
    list({ 'electron/cli/main.ts': future * 1000, 'shared/cbt.ts': BUILT_S * 1000 });
    expect(cliBuildProblem(dir)).toBeNull();
  });

  it('names a missing output (a pull that added a file to dist/), and a build without its list as incomplete', () => {
    rmSync(join(dir, 'dist/code-cache.cjs'));
    expect(cliBuildProblem(dir)).toEqual({ missing: 'dist/code-cache.cjs' });
    write('dist/code-cache.cjs');
    writeFileSync(join(dir, CLI_INPUTS), '{"outputs": [');
    expect(cliBuildProblem(dir)).toEqual({ missing: CLI_INPUTS });
    rmSync(join(dir, CLI_INPUTS));
    expect(cliBuildProblem(dir)).toEqual({ missing: CLI_INPUTS });
  });
});

describe('buildNodeEntries: what a running call may be reading', { timeout: 120_000 }, () => {
  it('replaces each output by a rename, never rewrites it in place: a call that opened the old bundle reads it whole', async () => {
    const { build } = await import('esbuild');
    const { buildNodeEntries, NODE_ENTRIES } = await import('../../build/build.mjs');
    const outDir = mkdtempSync(join(tmpdir(), 'cli-outputs-'));
    try {
      const entries = NODE_ENTRIES.filter((e) => e.in === 'electron/cli/blksnapctl.ts');
      // Not the inputs list: it is removed when a build starts, then written to a new file renamed into place.
      const outputs = ['cli/blksnapctl.cjs', 'cli/blksnapctl.cjs.map', 'cli/blksnapctl.mjs', 'code-cache.cjs', 'code-cache.mjs'];
      await buildNodeEntries(build, { outDir, entries, logLevel: 'error' });
      const before = outputs.map((o) => statSync(join(outDir, o)).ino);
      await buildNodeEntries(build, { outDir, entries, logLevel: 'error' });
      const after = outputs.map((o) => statSync(join(outDir, o)).ino);
      expect(outputs.filter((_, i) => after[i] === before[i])).toEqual([]);
      expect(readdirSync(join(outDir, 'cli')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});

// Each call below may build the CLI (esbuild, 1–5 s on a loaded machine).
describe('bin/blksnapctl.cjs in a checkout', { timeout: 180_000 }, () => {
  let checkout: string;
  const node = (...argv: string[]) => spawnSync(process.execPath, [join(checkout, 'bin/blksnapctl.cjs'), ...argv], { encoding: 'utf8', timeout: 120_000 });
  /** An edit the output shows: the message for a missing command. */
  const editUsageMessage = (text: string) => {
    const main = join(checkout, 'electron/cli/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace(/new UsageError\('Command not found[^']*'\)/, `new UsageError('${text}')`));
  };

  beforeAll(() => {
    checkout = mkdtempSync(join(tmpdir(), 'cli-checkout-'));
    for (const path of ['bin', 'build', 'electron', 'shared', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.base.json']) {
      cpSync(join(root, path), join(checkout, path), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(checkout, 'node_modules'));
  });
  afterAll(() => rmSync(checkout, { recursive: true, force: true }));

  it('builds the CLI at the first call of a checkout without dist/, and not at the next', () => {
    const first = node('version');
    expect([first.status, first.stdout]).toEqual([0, '2.0.0.0\n']);
    expect(first.stderr).toBe(`blksnapctl: dist/ holds no complete build of the CLI (${CLI_INPUTS} is missing): building the CLI first...\n`);
    expect(node('version')).toMatchObject({ status: 0, stdout: '2.0.0.0\n', stderr: '' });
  });

  it('rebuilds after a source changed (a git pull) and runs the new code', () => {
    editUsageMessage('Command not found (after the pull).');
    const r = node();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('blksnapctl: electron/cli/main.ts changed since dist/ was built: building the CLI first...\nCommand not found (after the pull).\n');
    expect(node().stderr).toBe('Command not found (after the pull).\n');
  });

  it('rebuilds a build that lacks one file (a pull that added it), naming that file', () => {
    rmSync(join(checkout, 'dist/code-cache.cjs'));
    const r = node('version');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '2.0.0.0\n', 'blksnapctl: dist/code-cache.cjs is missing: building the CLI first...\n']);
  });

  it('rebuilds once for a source dated in the future (a copy from a machine whose clock is ahead), not at every call', () => {
    const future = Math.floor(Date.now() / 1000) + 86_400;
    utimesSync(join(checkout, 'electron/cli/main.ts'), future, future);
    expect(node('version').stderr).toBe('blksnapctl: electron/cli/main.ts changed since dist/ was built: building the CLI first...\n');
    expect(node('version')).toMatchObject({ status: 0, stdout: '2.0.0.0\n', stderr: '' });
  });

  it('calls started together on a stale build all run the new code: one builds, the others wait for it', async () => {
    editUsageMessage('Command not found (parallel).');
    const runs = [0, 1, 2].map(() => new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [join(checkout, 'bin/blksnapctl.cjs')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
      child.on('close', (code) => done({ code, stderr }));
    }));
    const done = await Promise.all(runs);
    for (const r of done) {
      expect(r.code).toBe(1);
      const notes = /^blksnapctl: .*: (building the CLI first|another blksnapctl is building the CLI, waiting for it)\.\.\.$/;
      expect(r.stderr.split('\n').filter((line) => !notes.test(line))).toEqual(['Command not found (parallel).', '']);
    }
    const lines = done.flatMap((r) => r.stderr.split('\n'));
    expect(lines.filter((line) => line.endsWith('building the CLI first...'))).toHaveLength(1);
    // A call that started after the build ended has nothing to wait for.
    expect(lines.filter((line) => line.endsWith('another blksnapctl is building the CLI, waiting for it...')).length).toBeLessThanOrEqual(2);
  });

  it('takes over a build lock older than any build, whoever holds its pid now (a build killed by Ctrl+C, its pid reused since)', () => {
    editUsageMessage('Command not found (after a stale lock).');
    const lock = join(checkout, CLI_BUILD_LOCK);
    writeFileSync(lock, String(process.pid)); // a live process, as a reused pid is
    const hourAgo = Date.now() / 1000 - 3600;
    utimesSync(lock, hourAgo, hourAgo);
    const r = spawnSync(process.execPath, [join(checkout, 'bin/blksnapctl.cjs')], { encoding: 'utf8', timeout: 30_000 });
    expect([r.status, r.stderr]).toEqual([1, 'blksnapctl: electron/cli/main.ts changed since dist/ was built: building the CLI first...\nCommand not found (after a stale lock).\n']);
    expect(existsSync(lock)).toBe(false);
  });

  it('without esbuild (installed without devDependencies) says what to run, and runs the older build', () => {
    rmSync(join(checkout, 'node_modules'));
    mkdirSync(join(checkout, 'node_modules'));
    try {
      editUsageMessage('Command not found (not built).');
      const r = node();
      expect(r.stderr).toBe(
        `blksnapctl: note: electron/cli/main.ts changed since dist/ was built and this run cannot rebuild it (esbuild, a devDependency, is not installed), so the older build runs; to update it, run cd ${checkout} && npm install && npm run build\n`
        + 'Command not found (after a stale lock).\n',
      );
      rmSync(join(checkout, 'dist/cli/blksnapctl.cjs'));
      const missing = node('version');
      expect([missing.status, missing.stdout]).toEqual([1, '']);
      expect(missing.stderr).toBe(`blksnapctl: dist/cli/blksnapctl.cjs is missing and this run cannot build it (esbuild, a devDependency, is not installed): run cd ${checkout} && npm install && npm run build\n`);
    } finally {
      rmSync(join(checkout, 'node_modules'), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(checkout, 'node_modules'));
    }
  });

  const isRoot = process.geteuid?.() === 0;
  it.skipIf(skipBecause('the other-owner launcher test', !isRoot && 'it needs root to give dist/ to another user', 'as root (CI runs as root)'))('does not build in a dist/ that belongs to another user (sudo in a user\'s checkout): says who should', () => {
    expect(node('version').status).toBe(0); // rebuilt from the last edit
    editUsageMessage('Command not found (other owner).');
    chownSync(join(checkout, 'dist'), 65534, 65534);
    try {
      const r = node();
      expect(r.stderr).toBe(
        `blksnapctl: note: electron/cli/main.ts changed since dist/ was built and this run cannot rebuild it (${join(checkout, 'dist')} belongs to uid 65534, not to this user (uid 0)), so the older build runs; to update it, run npm run build in ${checkout} as its owner\n`
        + 'Command not found (not built).\n',
      );
    } finally {
      chownSync(join(checkout, 'dist'), 0, 0);
    }
  });
});
