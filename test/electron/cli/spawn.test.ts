// The installed command: the launcher package.json installs (bin/blksnapctl.cjs) running the
// bundled CLI in its own process (exit
// codes, stdout and stderr as a shell sees them). The bundle is rebuilt from the sources first,
// as `npm run build` would, so the test runs the code under test.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeEntries, NODE_ENTRIES } from '../../../build/build.mjs';

const root = resolve(__dirname, '..', '..', '..');
/** What `npm link` installs: package.json's bin. */
const bin = join(root, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin.blksnapctl!);
let dir: string;

function blksnapctl(...argv: string[]) {
  const r = spawnSync(process.execPath, [bin, '--emulator-dir', join(dir, 'state'), '--backend', 'emulator', ...argv], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_STATE_HOME: dir },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-spawn-'));
  // As build/build.mjs builds the CLI entry (its bundle, the code-cache runner, the stub).
  await buildNodeEntries(build, { entries: NODE_ENTRIES.filter((e) => e.in === 'electron/cli/blksnapctl.ts'), logLevel: 'error' });
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Each test starts processes one after another (up to eight); a start that takes well under a
// second here takes seconds on a loaded machine, so the tests get 120 s rather than 30.
describe('the blksnapctl launcher', { timeout: 120_000 }, () => {
  it('prints the usage and exits 0 for help', () => {
    const r = blksnapctl('help');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Usage:');
  });

  it('is CommonJS and runs through its #! line from a link, as npm link and the README\'s ln -s install it', () => {
    // An ES module entry would start Node's ES module loader first (test/bench/cli.ts).
    expect(bin.endsWith('.cjs')).toBe(true);
    const link = join(dir, 'blksnapctl');
    symlinkSync(bin, link);
    const r = spawnSync(link, ['--emulator-dir', join(dir, 'linked'), '--backend', 'emulator', 'version'], { encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '2.0.0.0\n', '']);
  });

  it('bin/blksnapctl.mjs, the name links were made to before, runs the same command', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'blksnapctl.mjs'), '--emulator-dir', join(dir, 'mjs'), '--backend', 'emulator', 'cbtinfo', '-d', '/dev/none'], { encoding: 'utf8', timeout: 60_000 });
    const viaCjs = blksnapctl('cbtinfo', '-d', '/dev/none');
    expect([r.status, r.stdout, r.stderr]).toEqual([viaCjs.code, viaCjs.stdout, viaCjs.stderr]);
    expect(r.status).toBe(1);
  });

  it('the code cache comes to hold the service: after a first `help`, the first call that boots it rewrites the cache, once', () => {
    const cache = join(root, 'dist/cli/blksnapctl.cjs.v8cache');
    rmSync(cache, { force: true });
    expect(blksnapctl('help').code).toBe(0);
    const afterHelp = statSync(cache);
    expect(blksnapctl('cbtinfo', '-d', '/dev/none').code).toBe(1); // ENOENT from the service booted here
    const afterCall = statSync(cache);
    // The service, the emulator and zod were compiled and joined the cache (hundreds of KiB).
    expect(afterCall.size).toBeGreaterThan(afterHelp.size + 100_000);
    expect(blksnapctl('cbtinfo', '-d', '/dev/none').code).toBe(1);
    expect(blksnapctl('help').code).toBe(0);
    expect(statSync(cache)).toMatchObject({ ino: afterCall.ino, mtimeMs: afterCall.mtimeMs });
  });

  it('exits 1 with the upstream message on stderr for a bad command line', () => {
    expect(blksnapctl()).toEqual({ code: 1, stdout: '', stderr: 'Command not found.\n' });
    expect(blksnapctl('frobnicate')).toEqual({ code: 1, stdout: '', stderr: 'Command is not set.\n' });
    expect(blksnapctl('attach')).toEqual({ code: 1, stdout: '', stderr: "Argument 'device' is missed.\n" });
  });

  it('runs a lifecycle across processes on one emulator directory', () => {
    expect(blksnapctl('emu_create', '--name', 'disk0', '--size', '16M').code).toBe(0);
    expect(blksnapctl('attach', '-d', '/dev/disk0')).toEqual({ code: 0, stdout: 'Attached successfully\n', stderr: '' });
    const created = blksnapctl('snapshot_create', '-f', dir, '-l', '1G', '-d', '/dev/disk0');
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(blksnapctl('snapshot_take', '-i', id)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(blksnapctl('snapshot_info', '-d', '/dev/disk0', '-f', 'error_code').stdout).toBe('0\n');
    expect(blksnapctl('snapshot_waitevent', '-i', id, '-t', '0').stdout).toBe('result=timeout\n');
    expect(blksnapctl('snapshot_destroy', '-i', id).code).toBe(0);
    expect(blksnapctl('snapshot_collect').stdout).toBe('\n');
  });

  it('exits 1 naming the errno for a failing operation', () => {
    const r = blksnapctl('snapshot_destroy', '-i', '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^blksnapctl: .*ENODEV \(No such device\)/);
  });

  it('prints JSON with --json', () => {
    const r = blksnapctl('version', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '2.0.0.0', backend: 'emulator' });
  });

  it('runs a watcher in the background while other processes write (as scripts use the upstream tool)', async () => {
    const disk = blksnapctl('emu_create', '--name', 'disk1', '--size', '64M');
    const devId = disk.stdout.split('\n')[2]!.slice('dev_id='.length);
    const id = blksnapctl('snapshot_create', '-f', dir, '-l', '10M', '-d', '/dev/disk1').stdout.trim();
    expect(blksnapctl('snapshot_take', '-i', id).code).toBe(0);
    const watcher = spawn(process.execPath, [bin, '--emulator-dir', join(dir, 'state'), 'snapshot_watcher', '-i', id], { env: { ...process.env, XDG_STATE_HOME: dir } });
    let out = '';
    watcher.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => watcher.on('exit', resolve));
    const runtime = join(dir, 'state', 'runtime.json');
    await expect.poll(() => existsSync(runtime), { timeout: 60_000 }).toBe(true); // a process starting on a loaded machine
    for (const offset of ['0', '4M', '8M']) expect(blksnapctl('emu_write', '-d', '/dev/disk1', '-o', offset, '-p', '1', '-l', '4M').code).toBe(0);
    expect(await exited).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('Start snapshot watcher.');
    expect(lines).toContainEqual(expect.stringMatching(/^\d+ - The the difference storage already grow up to 10 MiB\. Limit has been reached\.$/));
    expect(lines.at(-2)).toMatch(new RegExp(`^\\d+ - The snapshot was corrupted for device \\[${devId}\\] with error "No space left on device"\\.$`));
    expect(lines.at(-1)).toBe('Snapshot watcher finished');
    expect(existsSync(runtime)).toBe(false);
  });

  it('a write the watcher carries lands in full although the watcher ends on corrupted mid-write (issue 19 item 9)', async () => {
    for (const flavour of ['val-7.0', 'v1']) {
      const state = join(dir, `state-${flavour}`);
      const run = (...argv: string[]) => spawnSync(process.execPath, [bin, '--emulator-dir', state, '--backend', 'emulator', '--emulate', flavour, ...argv], {
        encoding: 'utf8', timeout: 120_000, env: { ...process.env, XDG_STATE_HOME: dir },
      });
      expect(run('emu_create', '--name', 'disk9', '--size', '96M').status).toBe(0);
      const id = run('snapshot_create', '-f', dir, '-l', '16M', '-d', '/dev/disk9').stdout.trim().split('\n')[0]!;
      expect(run('snapshot_take', '-i', id).status).toBe(0);
      const watcher = spawn(process.execPath, [bin, '--emulator-dir', state, '--emulate', flavour, 'snapshot_watcher', '-i', id], { env: { ...process.env, XDG_STATE_HOME: dir } });
      const exited = new Promise<number | null>((resolve) => watcher.on('exit', resolve));
      const runtime = join(state, 'runtime.json');
      await expect.poll(() => existsSync(runtime), { timeout: 60_000 }).toBe(true);
      // One write, four times the storage: the overflow (and the watcher's end) comes mid-write.
      const write = run('emu_write', '-d', '/dev/disk9', '-o', '0', '-p', '0x5a', '-l', '64M');
      expect([flavour, write.status, write.stderr]).toEqual([flavour, 0, expect.any(String)]);
      expect(await exited).toBe(0);
      expect(run('emu_read', '-d', '/dev/disk9', '-o', '63M', '-l', '1M', '--out', join(dir, 'tail.bin')).status).toBe(0);
      expect(readFileSync(join(dir, 'tail.bin')).equals(Buffer.alloc(2 ** 20, 0x5a))).toBe(true);
      run('snapshot_destroy', '-i', id);
    }
  }, 240_000);
});
