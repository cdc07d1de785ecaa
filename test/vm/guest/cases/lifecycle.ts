// The whole snapshot lifecycle on the real module, through blksnapctl in this process: attach,
// cbtinfo, create, take, info, a write to the original read back from the image and the
// original, the CBT after the take, destroy, detach.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDevice, writeDevice, type VmArea, type VmContext } from '../harness';
import { check, createSnapshot, equal, match, MiB, notV1, SMALL_MINIMUM_SECTORS } from './util';

async function imageOf(ctx: VmContext): Promise<string> {
  const info = await ctx.ok('snapshot_info', '-d', ctx.dev);
  equal(info.lines[0], 'error_code=0', 'snapshot_info error_code');
  return match(info.lines[1] ?? '', /^image=(\/dev\/\S+)$/, 'snapshot_info image')[1]!;
}

export const lifecycle: VmArea = {
  area: 'lifecycle',
  cases: [
    {
      name: 'version and doctor name the dialect',
      async run(ctx) {
        const v = await ctx.ok('version');
        match(v.stdout, /^\d+\.\d+\.\d+\.\d+\n$/, 'version');
        const doctor = await ctx.cli('doctor');
        ctx.note(`doctor: ${doctor.stdout.split('\n').filter((l) => /dialect/i.test(l)).join(' | ')}`);
        equal(doctor.code, 0, `doctor exit code (stderr: ${doctor.stderr.trim()})`);
      },
    },
    {
      name: 'attach, cbtinfo and detach',
      when: notV1,
      async run(ctx) {
        equal((await ctx.ok('attach', '-d', ctx.dev)).lines, ['Attached successfully'], 'attach');
        equal((await ctx.ok('attach', '-d', ctx.dev)).lines, ['Already was attached'], 'second attach');
        const info = (await ctx.ok('cbtinfo', '-d', ctx.dev)).lines;
        equal(info.map((l) => l.split('=')[0]), ['block_size', 'device_capacity', 'block_count', 'generation_id', 'changes_number'], 'cbtinfo keys');
        check(info.includes(`device_capacity=${256 * MiB}`), `cbtinfo device_capacity: ${info.join(' ')}`);
        await ctx.ok('detach', '-d', ctx.dev);
        const again = await ctx.cli('cbtinfo', '-d', ctx.dev);
        equal(again.code, 1, 'cbtinfo after detach exit code');
      },
    },
    {
      name: 'create, take, write the original, read image and original back, destroy',
      async run(ctx) {
        if (ctx.guest.dialect === 'v1') await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const id = await createSnapshot(ctx);
        equal((await ctx.ok('snapshot_collect')).lines[0]?.trim(), id, 'snapshot_collect');
        await ctx.ok('snapshot_take', '-i', id);
        const image = await imageOf(ctx);
        const data = Buffer.alloc(MiB, 0xab);
        writeDevice(ctx.dev, 8 * MiB, data);
        await ctx.shOk(`blockdev --flushbufs ${ctx.dev}; blockdev --flushbufs ${image}`);
        check(readDevice(ctx.dev, 8 * MiB, MiB).equals(data), 'the original does not hold what was written');
        check(readDevice(image, 8 * MiB, MiB).equals(Buffer.alloc(MiB, 0)), 'the image changed with the original');
        const cbt = (await ctx.ok('cbtinfo', '-d', ctx.dev)).lines;
        check(cbt.includes('changes_number=1'), `cbtinfo after take: ${cbt.join(' ')}`);
        const map = join(ctx.scratch, 'map.bin');
        await ctx.ok('readcbtmap', '-d', ctx.dev, '-f', map);
        const blockCount = Number(cbt.find((l) => l.startsWith('block_count='))?.split('=')[1]);
        equal(readFileSync(map).length, blockCount, 'readcbtmap size (block_count)');
        await ctx.ok('snapshot_destroy', '-i', id);
        equal((await ctx.ok('snapshot_collect')).stdout.trim(), '', 'snapshot_collect after destroy');
      },
    },
  ],
};
