// v1 (VAL-6.x) stretching: the module asks user space for storage with low_free_space events;
// the stretch service of the process that owns the snapshot answers with diff_storage#<k> files
// in the -f directory, never beyond -l. Runs the service in this process, as the app does.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bootService } from '../../../../electron/app/boot';
import { readDevice, writeDevice, sleep, type VmArea } from '../harness';
import { check, equal, isV1, match, MiB, SMALL_MINIMUM_SECTORS, storeDir } from './util';

function storageFiles(dir: string): { count: number; bytes: number } {
  const files = readdirSync(dir).filter((f) => f.startsWith('diff_storage#'));
  return { count: files.length, bytes: files.reduce((n, f) => n + statSync(join(dir, f)).size, 0) };
}

export const v1: VmArea = {
  area: 'v1 stretch',
  cases: [
    {
      name: 'small diff_storage_minimum: the service answers each request while 160 MiB are written',
      when: isV1,
      timeoutMs: 300_000,
      async run(ctx) {
        await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const dir = storeDir(ctx);
        const booted = await bootService({ backend: 'kernel', dialect: null, emulate: 'upstream', emulatorDir: ctx.stateDir });
        try {
          const api = booted.service;
          equal(booted.control.info.dialect, 'v1', 'the probed dialect');
          const { id } = await api.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: (512 * MiB) / 512, devices: [ctx.dev] });
          for (let i = 0; i < 50 && storageFiles(dir).count === 0; i += 1) await sleep(200);
          check(storageFiles(dir).count >= 1, 'no diff_storage file after create (the creation-time request was not answered)');
          await api.snapshotTake({ id });
          const chunk = Buffer.alloc(MiB, 0x3c);
          for (let i = 0; i < 160; i += 1) {
            // A writer that leaves the service time to answer (as a real one does, being slower
            // than TCG's page cache): a pause after each 8 MiB, longer (up to 5 s) while the
            // storage is less than 16 MiB ahead of what was written.
            if (i % 8 === 0 && i > 0) {
              await sleep(500);
              for (let t = 0; t < 25 && storageFiles(dir).bytes < Math.min(512 * MiB, (i + 16) * MiB); t += 1) await sleep(200);
            }
            writeDevice(ctx.dev, 32 * MiB + i * MiB, chunk);
          }
          await sleep(2000);
          const info = await api.listSnapshots({});
          const files = storageFiles(dir);
          ctx.note(`${files.count} storage file(s), ${files.bytes / MiB} MiB; corrupted=${info[0]?.corrupted}`);
          check(files.count >= 2, `the storage was not stretched: ${files.count} file(s)`);
          check(files.bytes <= 512 * MiB, `more storage than -l: ${files.bytes / MiB} MiB`);
          const devInfo = info[0]?.devices[0]?.info;
          equal(devInfo?.errorCode, 0, 'the snapshot after the writes');
          await ctx.shOk(`blockdev --flushbufs ${ctx.dev}`);
          check(readDevice(ctx.dev, 100 * MiB, MiB).equals(chunk), 'the original does not hold the writes');
          await api.snapshotDestroy({ id });
        } finally {
          await booted.close();
        }
      },
    },
    {
      name: 'module defaults (1 GiB request) with -l 128M: storage up to the limit, take works',
      when: isV1,
      timeoutMs: 180_000,
      async run(ctx) {
        const minimum = await ctx.moduleParameter('diff_storage_minimum');
        ctx.note(`diff_storage_minimum=${minimum}`);
        const dir = storeDir(ctx);
        const created = await ctx.ok('snapshot_create', '-f', dir, '-l', '128M', '-d', ctx.dev);
        const id = match(created.stdout, /^([0-9a-f-]{36})$/m, 'snapshot_create id')[1]!;
        const files = storageFiles(dir);
        check(files.count >= 1 && files.bytes <= 128 * MiB, `storage after create: ${files.count} file(s), ${files.bytes} bytes; stderr: ${created.stderr.trim()}`);
        await ctx.ok('snapshot_take', '-i', id);
        equal((await ctx.ok('snapshot_info', '-d', ctx.dev)).lines[0], 'error_code=0', 'snapshot_info after take');
        await ctx.ok('snapshot_destroy', '-i', id);
      },
    },
  ],
};
