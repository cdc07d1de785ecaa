// Events and timeouts in real time: the wait timeout goes to the module as ticks (jiffies, HZ
// 250 on every guest kernel), so the module, not the app, decides when a wait ends.
import type { VmArea, VmContext } from '../harness';
import { check, createSnapshot, equal, isV1, SMALL_MINIMUM_SECTORS } from './util';

/** Reads events with -t 0 until the queue is empty; returns their names. */
async function drain(ctx: VmContext, id: string): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < 8; i += 1) {
    const r = await ctx.ok('snapshot_waitevent', '-i', id, '-t', '0');
    if (r.lines[0] !== 'result=ok') break;
    names.push(r.lines.find((l) => l.startsWith('event='))?.slice(6) ?? '?');
  }
  return names;
}

export const events: VmArea = {
  area: 'events',
  cases: [
    {
      name: 'snapshot_waitevent -t 500 times out after 500 jiffies (2 s), -t 0 polls',
      async run(ctx) {
        if (ctx.guest.dialect === 'v1') await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const id = await createSnapshot(ctx);
        const queued = await drain(ctx, id);
        if (queued.length) ctx.note(`queued after create: ${queued.join(', ')}`);
        const started = Date.now();
        const r = await ctx.ok('snapshot_waitevent', '-i', id, '-t', '500');
        const ms = Date.now() - started;
        equal(r.lines, ['result=timeout'], 'snapshot_waitevent on a quiet snapshot');
        check(ms >= 1800 && ms < 60_000, `-t 500 (2 s at HZ 250) returned after ${ms} ms`);
        ctx.note(`-t 500 returned after ${ms} ms`);
        // -t 0 polls; its time is not checked (under TCG on a loaded host a run takes seconds anyway).
        equal((await ctx.ok('snapshot_waitevent', '-i', id, '-t', '0')).lines, ['result=timeout'], '-t 0');
        await ctx.ok('snapshot_destroy', '-i', id);
      },
    },
    {
      name: 'v1 queues the creation-time low_free_space request (diff_storage_minimum sectors)',
      when: isV1,
      async run(ctx) {
        await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const id = await createSnapshot(ctx);
        const r = await ctx.ok('snapshot_waitevent', '-i', id, '-t', '250');
        equal(r.lines.filter((l) => !l.startsWith('time=')), ['result=ok', 'event=low_free_space', `requested_nr_sect=${SMALL_MINIMUM_SECTORS}`], 'the first event');
        await ctx.ok('snapshot_destroy', '-i', id);
      },
    },
  ],
};
