// The CLI across processes, as a script uses it: each command its own blksnapctl process, the
// state the next one needs kept in the state directory (or in the module).
import type { VmArea } from '../harness';
import { check, equal, match, notV1, isV1, SMALL_MINIMUM_SECTORS, storeDir } from './util';

export const processes: VmArea = {
  area: 'cli processes',
  cases: [
    {
      name: 'a lifecycle with one blksnapctl process per command',
      timeoutMs: 420_000,
      async run(ctx) {
        const p = async (...argv: string[]) => {
          const r = await ctx.cliProcess(argv);
          if (r.code !== 0) throw new Error(`blksnapctl ${argv.join(' ')} (own process) exited ${r.code}: ${r.stderr.trim()}`);
          return r;
        };
        if (ctx.guest.dialect === 'v1') await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        else equal((await p('attach', '-d', ctx.dev)).lines, ['Attached successfully'], 'attach');
        const created = await p('snapshot_create', '-f', storeDir(ctx), '-l', '256M', '-d', ctx.dev);
        const id = match(created.stdout, /^([0-9a-f-]{36})$/m, 'snapshot_create id')[1]!;
        await p('snapshot_take', '-i', id);
        const info = await p('snapshot_info', '-d', ctx.dev);
        equal(info.lines[0], 'error_code=0', 'snapshot_info in a later process');
        match(info.lines[1] ?? '', /^image=\/dev\/\S+$/, 'snapshot_info image');
        // The rest in this process (node starts in 3-7 s per process under TCG).
        equal((await ctx.ok('snapshot_collect')).lines[0]?.trim(), id, 'snapshot_collect in a later run');
        await ctx.ok('snapshot_destroy', '-i', id);
        equal((await ctx.ok('snapshot_collect')).stdout.trim(), '', 'snapshot_collect after destroy');
        ctx.note(`node start + command: ${info.ms} ms (snapshot_info)`);
      },
    },
    {
      name: 'in-process and separate-process runs print the same',
      when: notV1,
      async run(ctx) {
        for (const argv of [['cbtinfo', '-d', ctx.dev]]) {
          const a = await ctx.cli(...argv);
          const b = await ctx.cliProcess(argv);
          equal([b.code, b.stdout, b.stderr], [a.code, a.stdout, a.stderr], `blksnapctl ${argv.join(' ')} in-process vs own process`);
        }
      },
    },
    {
      name: 'v1: the -l limit holds in a later process (a watcher resumes the stretch service)',
      when: isV1,
      timeoutMs: 420_000,
      async run(ctx) {
        await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const dir = storeDir(ctx);
        const created = await ctx.cliProcess(['snapshot_create', '-f', dir, '-l', '256M', '-d', ctx.dev]);
        const id = match(created.stdout, /^([0-9a-f-]{36})$/m, 'snapshot_create id')[1]!;
        const watcher = ctx.startCli(['snapshot_watcher', '-i', id]);
        try {
          await watcher.waitFor(/\S/, 60_000).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 3000));
          const all = `${watcher.stdout}\n${watcher.stderr}`;
          check(!/of 0 B allocated/.test(all), `the watcher lost the limit: ${all.slice(-400)}`);
        } finally {
          await watcher.stop();
        }
        await ctx.cli('snapshot_destroy', '-i', id);
      },
    },
  ],
};
