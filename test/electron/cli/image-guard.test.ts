// blksnapctl attach / snapshot_create / snapshot_add given a snapshot image: refused with the
// service's words (the image, its original and its snapshot), nothing created, attached or added.
// The module would accept the attach (test/vm errors case); shared/imageOf.ts says why not.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDirEach, type CliRun } from './harness';

const tmp = tempDirEach('image-guard-');

describe('blksnapctl and a snapshot image', () => {
  it('refuses attach, snapshot_create and snapshot_add of an image, naming it, its original and its snapshot', async () => {
    const state = join(tmp(), 'state');
    const run = (...argv: string[]): Promise<CliRun> => cli(['--backend', 'emulator', '--emulate', 'upstream', '--emulator-dir', state, ...argv], {});
    expect((await run('emu_create', '--name', 'disk0', '--size', '64M')).code).toBe(0);
    const created = await run('snapshot_create', '-f', tmp(), '-l', '1G', '-d', '/dev/disk0');
    expect(created.code).toBe(0);
    const id = created.lines[0]!;
    expect((await run('snapshot_take', '-i', id)).code).toBe(0);
    const image = (await run('snapshot_info', '-d', '/dev/disk0', '-f', 'image')).stdout.trim();
    expect(image).toMatch(/^\/dev\/blksnap-/);
    const said = `${image} is the snapshot image of /dev/disk0 in snapshot ${id}`;

    const attach = await run('attach', '-d', image);
    expect([attach.code, attach.stderr]).toEqual([1, expect.stringContaining(said)]);
    const create = await run('snapshot_create', '-f', tmp(), '-l', '1G', '-d', image);
    expect([create.code, create.lines, create.stderr]).toEqual([1, [], expect.stringContaining(said)]); // refused before any create
    const other = (await run('snapshot_create', '-f', tmp(), '-l', '1G')).lines[0]!;
    const add = await run('snapshot_add', '-i', other, '-d', image);
    expect([add.code, add.stderr]).toEqual([1, expect.stringContaining(said)]);
    expect((await run('snapshot_collect')).stdout.split(/\s+/).filter(Boolean).sort()).toEqual([id, other].sort());
  });
});
