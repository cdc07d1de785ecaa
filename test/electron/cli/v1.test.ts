// `--emulate v1`: the v1 dialect's rules through blksnapctl (devices fixed at create, trackers
// implicit, storage answered by the stretch service, events numbered 0 low_free_space /
// 1 corrupted).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, type CliRun } from './harness';

let dir: string;

function run(...argv: string[]): Promise<CliRun> {
  return cli(['--backend', 'emulator', '--emulate', 'v1', '--emulator-dir', join(dir, 'state'), ...argv], { env: {} });
}

async function ok(...argv: string[]): Promise<CliRun> {
  const r = await run(...argv);
  if (r.code !== 0) throw new Error(`blksnapctl ${argv.join(' ')} failed: ${r.stderr}`);
  return r;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-v1-'));
  mkdirSync(join(dir, 'stretch'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('blksnapctl --emulate v1', () => {
  it('reports the v1 module version', async () => {
    expect((await ok('version')).lines).toEqual(['1.0.0.0']);
  });

  it('refuses snapshot_create without devices (an empty v1 SNAPSHOT_CREATE hangs the kernel)', async () => {
    const r = await run('snapshot_create', '-f', join(dir, 'stretch'), '-l', '1G');
    expect([r.code, r.stderr]).toEqual([1, "Argument 'device' is missed.\n"]);
  });

  it('says why attach does not exist on v1', async () => {
    await ok('emu_create', '--name', 'disk0', '--size', '64M');
    const r = await run('attach', '-d', '/dev/disk0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^blksnapctl: .*SNAPSHOT_CREATE.*EUNSUPPORTED/);
  });

  it('runs the whole lifecycle, the stretch service answering low_free_space with storage files', async () => {
    await ok('emu_create', '--name', 'disk0', '--size', '64M');
    const stretchDir = join(dir, 'stretch');
    const created = await ok('snapshot_create', '-f', stretchDir, '-l', '4G', '-d', '/dev/disk0');
    const id = created.lines[0]!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // The stretch service's answer to the creation-time request is shown on stderr.
    expect(created.stderr).toMatch(/^\[stretch\] creating .*diff_storage#0 \(1 GiB\)$/m);
    expect(created.stderr).toMatch(/^\[stretch\] appended .*diff_storage#0: 1 range\(s\)/m);
    expect((await ok('snapshot_collect')).stdout).toBe(`${id} \n\n`);
    // Trackers are implicit: the device is tracked from create on.
    expect((await ok('cbtinfo', '-d', '/dev/disk0')).lines).toContain('changes_number=0');
    // The creation-time request (v1 queues it at create) is visible, and was answered by a file.
    const first = await ok('snapshot_waitevent', '-i', id, '-t', '100');
    expect(first.lines).toEqual(['result=ok', expect.stringMatching(/^time=\d+$/), 'event=low_free_space', `requested_nr_sect=${2 ** 21}`]);
    expect(readdirSync(stretchDir).filter((f) => f.startsWith('diff_storage#'))).toHaveLength(1);

    await ok('snapshot_take', '-i', id);
    expect((await ok('cbtinfo', '-d', '/dev/disk0')).lines).toContain('changes_number=1');
    const image = (await ok('snapshot_info', '-d', '/dev/disk0', '-f', 'image')).lines[0]!;
    expect(image).toMatch(/^\/dev\/veeamblksnapimg\d+$/);
    await ok('emu_write', '-d', '/dev/disk0', '-o', '0', '-p', '7', '-l', '1M');
    await ok('readcbtmap', '-d', '/dev/disk0', '-f', join(dir, 'map'));
    await ok('snapshot_destroy', '-i', id);
    expect((await ok('snapshot_collect')).stdout).toBe('\n');
    // The stretch service deletes its files with the snapshot.
    expect(readdirSync(stretchDir).filter((f) => f.startsWith('diff_storage#'))).toEqual([]);
  });

  it('shows the module\'s requests for storage in the watcher until the snapshot is gone', async () => {
    await ok('emu_create', '--name', 'disk0', '--size', '64M');
    const id = (await ok('snapshot_create', '-f', join(dir, 'stretch'), '-l', '4G', '-d', '/dev/disk0')).lines[0]!;
    await ok('snapshot_take', '-i', id);
    const watching = run('snapshot_watcher', '-i', id);
    await expect.poll(() => readdirSync(join(dir, 'state')), { timeout: 20_000 }).toContain('runtime.json');
    await ok('snapshot_destroy', '-i', id);
    const r = await watching;
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('Start snapshot watcher.');
    expect(r.lines).toContainEqual(expect.stringMatching(/^\d+ - Low free space in diff storage\. Requested 2097152 sectors\.$/));
    expect(r.lines.slice(-2)).toEqual(['Snapshot not found', 'Snapshot watcher finished']);
  });
});
