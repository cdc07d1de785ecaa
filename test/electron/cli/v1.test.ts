// `--emulate v1`: the v1 dialect's rules through blksnapctl (devices fixed at create, trackers
// implicit, storage answered by the stretch service, events numbered 0 low_free_space /
// 1 corrupted).
import { mkdtempSync, rmSync } from 'node:fs';
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
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('blksnapctl --emulate v1', () => {
  it('reports the v1 module version', async () => {
    expect((await ok('version')).lines).toEqual(['1.0.0.0']);
  });

  it('refuses snapshot_create without devices (an empty v1 SNAPSHOT_CREATE hangs the kernel)', async () => {
    const r = await run('snapshot_create', '-l', '1G');
    expect([r.code, r.stderr]).toEqual([1, "Argument 'device' is missed.\n"]);
  });

  it('says why attach does not exist on v1', async () => {
    await ok('emu_create', '--name', 'disk0', '--size', '64M');
    const r = await run('attach', '-d', '/dev/disk0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^blksnapctl: .*SNAPSHOT_CREATE.*EUNSUPPORTED/);
  });

  it('creates the snapshot with its devices, trackers implicit, and shows the creation-time low_free_space', async () => {
    await ok('emu_create', '--name', 'disk0', '--size', '64M');
    const id = (await ok('snapshot_create', '-l', '1G', '-d', '/dev/disk0')).lines[0]!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await ok('snapshot_collect')).stdout).toBe(`${id} \n\n`);
    expect((await ok('cbtinfo', '-d', '/dev/disk0')).lines).toContain('changes_number=0');
    const first = await ok('snapshot_waitevent', '-i', id, '-t', '100');
    expect(first.lines).toEqual(['result=ok', expect.stringMatching(/^time=\d+$/), 'event=low_free_space', `requested_nr_sect=${2 ** 21}`]);
    await ok('snapshot_destroy', '-i', id);
    expect((await ok('snapshot_collect')).stdout).toBe('\n');
  });
});
