// blksnapctl against the real emulator service, in-process, on a fresh state directory.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, type CliRun } from './harness';
import { skipBecause } from '../../skip';

let dir: string;

function run(...argv: string[]): Promise<CliRun> {
  return cli(['--backend', 'emulator', '--emulator-dir', join(dir, 'state'), ...argv], {});
}

async function ok(...argv: string[]): Promise<CliRun> {
  const r = await run(...argv);
  if (r.code !== 0) throw new Error(`blksnapctl ${argv.join(' ')} failed: ${r.stderr}`);
  return r;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('blksnapctl on the emulator (upstream flavour)', () => {
  it('runs the whole lifecycle with the upstream tool output', async () => {
    expect((await ok('emu_create', '--name', 'disk0', '--size', '64M')).lines).toEqual(['device=/dev/disk0', `capacity=${64 * 2 ** 20}`, expect.stringMatching(/^dev_id=\d+:\d+$/)]);
    expect((await ok('version')).lines).toEqual(['2.0.0.0']);
    expect((await ok('attach', '-d', '/dev/disk0')).lines).toEqual(['Attached successfully']);
    expect((await ok('attach', '--device', '/dev/disk0')).lines).toEqual(['Already was attached']);

    const info0 = (await ok('cbtinfo', '-d', '/dev/disk0')).lines;
    expect(info0.map((l) => l.split('=')[0])).toEqual(['block_size', 'device_capacity', 'block_count', 'generation_id', 'changes_number']);
    expect(info0).toContain(`device_capacity=${64 * 2 ** 20}`);
    expect(info0).toContain('changes_number=0');

    const created = await ok('snapshot_create', '-f', join(dir), '-l', '1G', '-d', '/dev/disk0');
    expect(created.lines).toHaveLength(1);
    const id = created.lines[0]!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    expect((await ok('snapshot_collect')).stdout).toBe(`${id} \n\n`);
    await ok('snapshot_take', '-i', id);
    const info = await ok('snapshot_info', '-d', '/dev/disk0');
    expect(info.lines[0]).toBe('error_code=0');
    expect(info.lines[1]).toMatch(/^image=\/dev\/blksnap-\d+-\d+$/);
    const image = info.lines[1]!.slice('image='.length);
    expect((await ok('snapshot_info', '-d', '/dev/disk0', '--field', 'image')).lines).toEqual([image]);
    expect((await ok('snapshot_info', '-d', '/dev/disk0', '-f', 'error_code')).lines).toEqual(['0']);

    // Write after take: the original changes, the image keeps the old data.
    await ok('emu_write', '--device', '/dev/disk0', '--offset', '1M', '--pattern', '0xab', '--length', '128K');
    await ok('emu_read', '--device', '/dev/disk0', '--offset', '1M', '--length', '4096', '--out', join(dir, 'orig.bin'));
    await ok('emu_read', '--device', image, '--offset', '1M', '--length', '4096', '--out', join(dir, 'image.bin'));
    expect(readFileSync(join(dir, 'orig.bin'))).toEqual(Buffer.alloc(4096, 0xab));
    expect(readFileSync(join(dir, 'image.bin'))).toEqual(Buffer.alloc(4096, 0));

    const infoTaken = (await ok('cbtinfo', '-d', '/dev/disk0')).lines;
    expect(infoTaken).toContain('changes_number=1');
    await ok('readcbtmap', '-d', '/dev/disk0', '-f', join(dir, 'map.bin'));
    const blockCount = Number(infoTaken.find((l) => l.startsWith('block_count='))!.split('=')[1]);
    expect(statSync(join(dir, 'map.bin')).size).toBe(blockCount);

    await ok('markdirtyblock', '-d', '/dev/disk0', '-r', '0:8', '2048:8');
    // The service guards what the module allows (spec E3): detaching a device a taken snapshot holds.
    const guarded = await run('detach', '-d', '/dev/disk0');
    expect(guarded.code).toBe(1);
    expect(guarded.stderr).toMatch(new RegExp(`^blksnapctl: .*${id}.*EGUARD`));
    expect(await ok('detach', '-d', '/dev/disk0', '--force')).toMatchObject({ stdout: '' });
    await ok('snapshot_destroy', '-i', id);
    expect((await ok('snapshot_collect')).stdout).toBe('\n');
    expect((await run('cbtinfo', '-d', '/dev/disk0')).stderr).toMatch(/ENOENT/);
    await ok('emu_remove', '--name', 'disk0');
    expect((await ok('emu_list')).lines).toEqual([]);
  });

  it('runs a workload to its end and lists the devices', async () => {
    await ok('emu_create', '--name', 'disk0', '--size', '32M');
    await ok('attach', '-d', '/dev/disk0');
    const w = await ok('emu_workload', '-d', '/dev/disk0', '--pattern', 'sequential', '--block-size', '64K', '--rate', '0', '--duration', '200', '--length', '1M');
    expect(w.lines[0]).toMatch(/^workload=/);
    expect(Number(w.lines[1]!.split('=')[1])).toBeGreaterThan(0);
    const list = (await ok('emu_list')).lines;
    expect(list).toEqual([expect.stringMatching(/^\/dev\/disk0 capacity=33554432 dev_id=\d+:\d+ tracked=yes emulated=yes snapshot=-$/)]);
    const map = join(dir, 'map');
    await ok('readcbtmap', '-d', '/dev/disk0', '-f', map);
    // Nothing is taken yet: the read map is all zero until the first take (spec §3.3).
    expect(readFileSync(map).every((b) => b === 0)).toBe(true);
  });

  it('answers the doctor and writes a support bundle', async () => {
    const r = await ok('doctor', '--bundle', join(dir, 'bundle.json'));
    expect(r.lines[0]).toMatch(/^backend: emulator, /);
    expect(r.lines).toContain('modules:');
    // The emulator is a row among the modules: what it emulates, its state folder, HZ and parameters
    // (issue 17: they decide the limits as the kernel's do), once.
    const state = join(dir, 'state');
    const row = `  emulator: loaded, version 2.0.0.0 (emulates upstream lk6.15 (--emulate upstream); state folder ${state}; HZ 250); `;
    const rows = r.lines.filter((l) => l.startsWith('  emulator:'));
    expect(rows).toEqual([expect.stringContaining(row)]);
    expect(rows[0]!.slice(row.length)).toMatch(/^tracking_block_minimum_shift=16 .*\bchunk_minimum_shift=18\b.*\bdiff_storage_minimum=2097152\b/);
    expect(r.lines.indexOf(rows[0]!)).toBeLessThan(r.lines.indexOf('nodes:'));
    expect(r.lines.filter((l) => l.includes('diff_storage_minimum='))).toHaveLength(1);
    expect(r.lines.at(-1)).toBe(`support bundle: ${join(dir, 'bundle.json')}`);
    expect(statSync(join(dir, 'bundle.json')).size).toBeGreaterThan(100);
  });

  it('doctor names the flavour the emulator emulates, with that flavour\'s parameters, in text and --json', async () => {
    const r = await ok('--emulate', 'val-7.0', 'doctor');
    const row = r.lines.find((l) => l.startsWith('  emulator:'));
    expect(row).toMatch(/^ {2}emulator: loaded, version 7\.0\.0\.0 \(emulates Veeam standalone VAL-7\.0 \(--emulate val-7\.0\); state folder .*; HZ 250\); .*\bchunk_maximum_in_queue=16\b.*\bfree_diff_buffer_pool_size=128\b/);
    const json = JSON.parse((await ok('--emulate', 'val-7.0', '--json', 'doctor')).stdout) as { modules: { name: string; note?: string; parameters: Record<string, number> }[] };
    const emulator = json.modules.find((m) => m.name === 'emulator');
    expect(emulator?.note).toBe(`emulates Veeam standalone VAL-7.0 (--emulate val-7.0); state folder ${join(dir, 'state')}; HZ 250`);
    expect(emulator?.parameters).toMatchObject({ chunk_maximum_in_queue: 16, free_diff_buffer_pool_size: 128 });
  });

  it('fails with the errno of the emulated module', async () => {
    const r = await run('cbtinfo', '-d', '/dev/nothing');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^blksnapctl: .*E[A-Z]+ \(/);
    await ok('emu_create', '--name', 'disk0', '--size', '16M');
    const untracked = await run('cbtinfo', '-d', '/dev/disk0');
    expect(untracked.stderr).toMatch(/ENOENT/);
    const destroy = await run('snapshot_destroy', '-i', '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b');
    expect(destroy.stderr).toMatch(/ENODEV \(No such device\)/);
    const badLimit = await run('snapshot_create', '-f', join(dir, 'missing-dir', 'x'), '-l', '1G');
    expect([badLimit.code, badLimit.stdout]).toEqual([1, '']);
    expect(badLimit.stderr).toMatch(/ENOENT/);
  });

  const moduleLoaded = ['/dev/blksnap-control', '/dev/veeamblksnap', '/dev/bdevfilter', '/dev/blksnap'].some((node) => existsSync(node));

  it.skipIf(skipBecause('the no-module EBACKEND test', moduleLoaded && 'a blksnap module is loaded on this machine', 'wherever no blksnap control node exists (CI)'))('with --backend kernel and no module: fails EBACKEND, yet the doctor prints the facts', async () => {
    const state = ['--emulator-dir', join(dir, 'state'), '--backend', 'kernel'];
    const version = await cli([...state, 'version'], {});
    expect(version.code).toBe(1);
    expect(version.stderr).toMatch(/EBACKEND/);
    const doctor = await cli([...state, 'doctor'], {});
    expect(doctor.code).toBe(1);
    expect(doctor.lines[0]).toBe('backend: none available');
    expect(doctor.lines).toContain('modules:');
    expect(doctor.stderr).toMatch(/EBACKEND/);
  });
});
