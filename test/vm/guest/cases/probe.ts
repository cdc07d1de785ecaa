// The probe and the doctor on the real upstream kernels (issue 19 items 13 and 14), in this
// process and never forced: with nothing attached (lk6.15 is confirmed by its CTL; v6 vs v7 is
// a guess, said so with how to confirm it) and with blksnap attached to one device (each patch
// set named for sure). The case with every device attached is in fixes19.ts.
import { collectDoctor } from '../../../../electron/control/kernel/doctor';
import { probeKernel, type ProbeResult } from '../../../../electron/control/kernel/probe';
import type { VmArea, VmContext } from '../harness';
import { check, equal, isUpstream, match } from './util';

/** The block devices with a filter attribute, and what it reads ('' = none). */
async function filters(ctx: VmContext): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await ctx.shOk('ls /sys/class/block')).split(/\s+/).filter(Boolean)) {
    const r = await ctx.sh(`cat /sys/class/block/${name}/filter`);
    if (r.code === 0) out.set(name, r.stdout.trim());
  }
  return out;
}

function describe(r: ProbeResult): string {
  return `dialect ${r.dialect ?? 'none'}; ${r.reasons.join(' | ')}`;
}

export const probe: VmArea = {
  area: 'probe',
  cases: [
    {
      name: 'items 13-14: with nothing attached, lk6.15 is confirmed and v6 vs v7 is a guess the doctor says how to confirm',
      when: isUpstream,
      async run(ctx) {
        const before = await filters(ctx);
        check(before.size > 0, 'no block device has a filter attribute: is this an upstream blksnap kernel?');
        check([...before.values()].every((f) => f === ''), `a device has a filter attached before the case: ${[...before].join(' ')}`);
        ctx.note(`devices: ${[...before.keys()].join(' ')}`);
        const r = probeKernel();
        ctx.note(describe(r));
        const doctor = collectDoctor({ probe: r }).fixes.join('\n');
        if (ctx.guest.dialect === 'lk6.15') {
          equal(r.dialect, 'lk6.15', `dialect (${describe(r)})`);
          equal(r.facts.upstreamCtlProbe?.answer, 'ENOENT', 'the lk6.15 CTL with a foreign name');
          equal(r.facts.guess, null, 'guess');
          check(!/is a guess/.test(doctor), `the doctor calls a confirmed lk6.15 a guess: ${doctor}`);
        } else {
          equal(r.facts.upstreamCtlProbe?.answer, 'ENOTTY', `the lk6.15 CTL (nr 144) on ${ctx.guest.dialect} (${describe(r)})`);
          check(r.dialect === 'v6' || r.dialect === 'v7', `dialect: ${describe(r)}`);
          equal(r.facts.v6v7CtlProbe, null, 'no v6/v7 CTL without an attached device');
          match(r.facts.guess ?? '', /v6 or v7: v[67] is a guess/, 'the guess');
          match(doctor, /The dialect is a guess: v6 or v7.*attach blksnap to a spare device.*--dialect v6 \/ --dialect v7/s, 'the doctor');
        }
        const after = await filters(ctx);
        equal([...after], [...before], 'filters after the probe (it attaches nothing)');
      },
    },
    {
      name: 'items 13-14: with blksnap attached to one device, the probe names the patch set for sure',
      when: isUpstream,
      async run(ctx) {
        await ctx.ok('attach', '-d', ctx.dev);
        const name = ctx.dev.split('/').pop()!;
        equal((await filters(ctx)).get(name), 'blksnap', `${ctx.dev} filter after attach`);
        const r = probeKernel();
        ctx.note(describe(r));
        equal(r.dialect, ctx.guest.dialect, `dialect (${describe(r)})`);
        equal(r.facts.guess, null, 'guess');
        if (ctx.guest.dialect !== 'lk6.15') {
          equal(r.facts.v6v7CtlProbe, { device: ctx.dev, answer: ctx.guest.dialect === 'v6' ? 'ENOENT' : 'EINVAL' }, 'the v6/v7 CTL with a foreign name');
        }
        check(!/is a guess/.test(collectDoctor({ probe: r }).fixes.join('\n')), 'the doctor calls it a guess');
        const after = await filters(ctx);
        check([...after].every(([d, f]) => f === (d === name ? 'blksnap' : '')), `the probe changed a filter: ${[...after].join(' ')}`);
      },
    },
    {
      name: 'items 13-14: with blksnap attached to every device (loop devices too), the probe names the patch set',
      when: isUpstream,
      timeoutMs: 240_000,
      async run(ctx) {
        const names = [...(await filters(ctx)).keys()];
        for (const name of names) {
          const r = await ctx.cli('attach', '-d', `/dev/${name}`);
          if (r.code !== 0) ctx.note(`attach ${name}: ${r.stderr.trim()}`);
        }
        const after = await filters(ctx);
        ctx.note(`filters: ${[...after].map(([d, f]) => `${d}=${f || '-'}`).join(' ')}`);
        const r = probeKernel();
        ctx.note(describe(r));
        equal(r.dialect, ctx.guest.dialect, `dialect (${describe(r)})`);
        equal(r.facts.guess, null, 'guess');
      },
    },
  ],
};
