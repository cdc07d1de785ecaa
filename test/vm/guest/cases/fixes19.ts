// The reproductions of issue 19 on the real module, one case per fix not covered elsewhere
// (items 1, 3 and 5 are cases in v1.ts, processes.ts and overflow.ts). Each command is a
// separate blksnapctl run (ctx.cli boots a service per command), as in the reports.
import { closeSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootService } from '../../../../electron/app/boot';
import { extentsToRanges, fiemap, PAGE_BYTES } from '../../../../electron/service/stretch/fiemap';
import { DISKS, RunningProcess, STORE_DIR, type VmArea } from '../harness';
import { check, createSnapshot, equal, isUpstream, isV1, match, SMALL_MINIMUM_SECTORS, storeDir } from './util';

const ID_LINE = /^([0-9a-f-]{36})$/m;

export const fixes19: VmArea = {
  area: 'issue 19 fixes',
  cases: [
    {
      name: 'item 2: a dead snapshot\'s leftover manifest does not disable stretching in its directory',
      when: isV1,
      timeoutMs: 240_000,
      async run(ctx) {
        await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const dir = storeDir(ctx);
        const boot = (await ctx.shOk('cat /proc/sys/kernel/random/boot_id')).trim();
        const dead = '11111111-2222-4333-8444-555555555555';
        writeFileSync(join(dir, 'diff_storage#0'), Buffer.alloc(4096));
        writeFileSync(join(dir, `.blksnap-stretch-${dead}.json`), JSON.stringify({ version: 1, snapshotId: dead, bootId: boot, createdAtMs: 0, limitBytes: 1 << 20, files: [join(dir, 'diff_storage#0')] }));
        const created = await ctx.ok('snapshot_create', '-f', dir, '-l', '128M', '-d', ctx.dev);
        const id = match(created.stdout, ID_LINE, 'snapshot_create id')[1]!;
        const files = readdirSync(dir).filter((f) => f.startsWith('diff_storage#')).sort();
        check(files.length >= 2, `no storage beside the leftover: ${files.join(' ')}; stderr: ${created.stderr.trim()}`);
        await ctx.ok('snapshot_take', '-i', id);
        await ctx.ok('snapshot_destroy', '-i', id);
        check(readdirSync(dir).includes('diff_storage#0'), 'the leftover of the other snapshot was deleted within the boot');
      },
    },
    {
      name: 'item 4: a corrupted event one run drained reaches snapshot_waitevent in a later run',
      when: isV1,
      timeoutMs: 420_000,
      async run(ctx) {
        await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const id = await createSnapshot(ctx, '64M');
        await ctx.ok('snapshot_take', '-i', id);
        // 160 MiB of writes into 64 MiB of storage, while no run is pumping.
        await ctx.shOk(`dd if=/dev/urandom of=${ctx.dev} bs=1M count=160 oflag=direct 2>/dev/null`);
        // A run whose pump drains the queue (snapshot_info refreshes the snapshot list).
        await ctx.ok('snapshot_info', '-d', ctx.dev);
        const seen: string[] = [];
        for (let i = 0; i < 40 && !seen.includes('event=corrupted'); i++) {
          const r = await ctx.cli('snapshot_waitevent', '-i', id, '-t', '0');
          const event = r.lines.find((l) => l.startsWith('event='));
          if (event) seen.push(event);
          else if (r.lines.includes('result=timeout')) await new Promise((res) => setTimeout(res, 250));
          else break;
        }
        check(seen.includes('event=corrupted'), `snapshot_waitevent never gave the corrupted event: ${seen.join(' ')}`);
        await ctx.cli('snapshot_destroy', '-i', id);
      },
    },
    {
      name: 'item 6: storage on ext4 with 1 KiB blocks is trimmed to whole pages; copies succeed',
      when: isV1,
      timeoutMs: 420_000,
      async run(ctx) {
        // The original is the store disk (its file system takes the writes); the storage lies on a
        // 1 KiB-block ext4 made on /dev/vda, whose extents are 512- but seldom page-aligned.
        await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const mnt = '/mnt/k1';
        mkdirSync(mnt, { recursive: true });
        await ctx.shOk(`/usr/sbin/mke2fs -q -F -t ext4 -b 1024 ${ctx.dev} && mount -t ext4 ${ctx.dev} ${mnt} && mkdir -p ${mnt}/diff`);
        try {
          const created = await ctx.cli('snapshot_create', '-f', `${mnt}/diff`, '-l', '64M', '-d', DISKS.store);
          ctx.note(created.stderr.trim().split('\n').filter((l) => /mapped|appended|refus/.test(l)).join(' | '));
          equal(created.code, 0, `snapshot_create with storage on a 1 KiB-block ext4 (${created.stderr.trim()})`);
          const id = match(created.stdout, ID_LINE, 'snapshot_create id')[1]!;
          const file = `${mnt}/diff/diff_storage#0`;
          const fd = openSync(file, 'r');
          let trimmed: boolean;
          try {
            const size = statSync(file).size;
            const extents = fiemap(fd, size, file);
            trimmed = JSON.stringify(extentsToRanges(extents, size, 512)) !== JSON.stringify(extentsToRanges(extents, size, PAGE_BYTES));
            ctx.note(`${extents.length} extent(s); ${extents.filter((e) => e.physicalBytes % 4096 !== 0 || e.lengthBytes % 4096 !== 0).length} not page-aligned`);
          } finally {
            closeSync(fd);
          }
          check(trimmed, 'every extent of the storage file was page-aligned: this run cannot tell whether ranges are trimmed');
          await ctx.ok('snapshot_take', '-i', id);
          // 24 MiB of new data on the original: every chunk it lands on is copied into the storage.
          await ctx.shOk(`dd if=/dev/urandom of=${STORE_DIR}/item6.bin bs=1M count=24 conv=fsync 2>/dev/null; rm -f ${STORE_DIR}/item6.bin; sync`);
          const info = await ctx.ok('snapshot_info', '-d', DISKS.store);
          const events = await ctx.cli('snapshot_waitevent', '-i', id, '-t', '0');
          const dmesg = await ctx.sh('dmesg | grep -i "aligned to PAGE_SIZE" | tail -2');
          ctx.note(`${info.lines[0]}; waitevent: ${events.lines.join(' ')}`);
          check(dmesg.stdout.trim() === '', `the module refused a range: ${dmesg.stdout.trim()}`);
          equal(info.lines[0], 'error_code=0', 'snapshot_info after 24 MiB of copies');
          check(!events.stdout.includes('event=corrupted'), `the snapshot was corrupted: ${events.stdout.trim()}`);
          await ctx.ok('snapshot_destroy', '-i', id);
        } finally {
          await ctx.sh(`umount ${mnt}; dd if=/dev/zero of=${ctx.dev} bs=1M count=256 conv=fsync 2>/dev/null`);
        }
      },
    },
    {
      name: 'item 7: snapshot_take without storage is refused in a later run; the snapshot stays',
      when: isV1,
      timeoutMs: 120_000,
      async run(ctx) {
        // A run that created the snapshot without a storage directory (the service allows it on v1,
        // with a warning; blksnapctl requires -f): nothing answers the module's request.
        const booted = await bootService({ backend: 'kernel', dialect: null, emulate: 'upstream', emulatorDir: ctx.stateDir });
        let id: string;
        try {
          id = (await booted.service.snapshotCreate({ devices: [ctx.dev], diffStoragePath: null, diffStorageLimitSectors: 0 })).id;
        } finally {
          await booted.close();
        }
        const take = await ctx.cli('snapshot_take', '-i', id);
        equal(take.code, 1, 'snapshot_take exit code');
        match(take.stderr, /no difference storage yet/, 'snapshot_take refusal');
        check((await ctx.ok('snapshot_collect')).stdout.includes(id), 'the module destroyed the snapshot (the TAKE reached it)');
        await ctx.ok('snapshot_destroy', '-i', id);
      },
    },
    {
      name: 'item 8: blksnapctl --backend kernel talks to a running app on the kernel',
      timeoutMs: 300_000,
      async run(ctx) {
        const dialect = ctx.guest.forceDialect ? ['--dialect', ctx.guest.dialect] : [];
        const app = new RunningProcess(process.execPath, ['/app/dist/web/main.mjs', '--web', '--no-open', '--backend', 'kernel', ...dialect, '--emulator-dir', ctx.stateDir]);
        try {
          await app.waitFor(/http:\/\/127\.0\.0\.1:\d+\/\?token=\w+/, 90_000);
          const r = await ctx.cli('version');
          equal(r.code, 0, 'version through the app');
          match(r.stderr, /the running blksnap Manager \(pid \d+\) owns the blksnap module; its backend applies and --backend.* is ignored/, 'the note');
        } finally {
          await app.stop();
        }
      },
    },
    {
      name: 'items 13-14: the probe names the patch set with every block device attached',
      when: isUpstream,
      timeoutMs: 240_000,
      async run(ctx) {
        const devices = (await ctx.shOk('ls /sys/class/block')).split(/\s+/).filter(Boolean);
        const withFilter: string[] = [];
        for (const name of devices) {
          if ((await ctx.sh(`test -f /sys/class/block/${name}/filter`)).code !== 0) continue;
          withFilter.push(name);
          await ctx.cli('attach', '-d', `/dev/${name}`);
        }
        ctx.note(`attached: ${withFilter.join(' ')}`);
        try {
          // No --dialect: the probe alone, in a fresh process.
          const r = await ctx.sh(`${process.execPath} /app/dist/cli/blksnapctl.mjs --backend kernel --emulator-dir ${ctx.stateDir} version --json`, { timeoutMs: 120_000 });
          equal(JSON.parse(r.stdout.split('\n')[0] ?? '{}').dialect, ctx.guest.dialect, `dialect detected (${r.stderr.trim()})`);
        } finally {
          for (const name of withFilter) await ctx.cli('detach', '-d', `/dev/${name}`);
        }
      },
    },
  ],
};
