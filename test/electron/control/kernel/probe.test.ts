// The probe on every dialect's fingerprints (spec §0.3), without a kernel: a temporary root
// for /dev and /sys, and scripted ioctl answers. The hazards are asserted on every scenario.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LK615_CTL_PROBE, V6V7_CTL_PROBE, VAL13_ATTACH_PROBE, VERSION_REQUEST, openKernelBackend, probeKernel } from '../../../../electron/control/kernel/probe';
import { collectDoctor } from '../../../../electron/control/kernel/doctor';
import { BlksnapError } from '../../../../shared/errors';
import { FINGERPRINTS, ScriptedSys, fakeRoot, filterName, type Answer, type AnswerFn, type Call } from './probe-fixtures';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function run(files: Record<string, string>, answers: Record<number, Answer | AnswerFn>, kernelRelease = '6.1.0-56-amd64', openErrors = {}) {
  const root = fakeRoot(files);
  roots.push(root);
  const sys = new ScriptedSys(answers, openErrors);
  const result = probeKernel({ root, sys, kernelRelease });
  return { result, sys, root };
}

/**
 * The hazards of §0.3, checked after every probe: 0xC030128E (lk6.15's ATTACH) only after the
 * lk6.15 CTL answered ENOTTY (v6/v7 for sure), and only to a device with blksnap attached.
 */
function assertSafe(sys: ScriptedSys, attached: string[] = []): void {
  const ioctls = sys.ioctls();
  if (ioctls.length) expect(ioctls[0]?.request, 'the first ioctl is VERSION').toBe(VERSION_REQUEST);
  let lk615RuledOut = false;
  for (const c of ioctls) {
    if (c.request === 0xc030128e) {
      expect(lk615RuledOut, '0xC030128E only once the lk6.15 CTL answered ENOTTY').toBe(true);
      expect(attached.some((d) => c.path.endsWith(d)), '0xC030128E only to a device with blksnap attached').toBe(true);
    }
    if (c.request === LK615_CTL_PROBE && c.result === 'ENOTTY') lk615RuledOut = true;
    expect([VERSION_REQUEST, LK615_CTL_PROBE, VAL13_ATTACH_PROBE, V6V7_CTL_PROBE]).toContain(c.request);
  }
  expect(sys.openFds(), 'every node the probe opened is closed').toBe(0);
}

const V7 = { version: [7, 0, 0, 0] } as const;
const V2 = { version: [2, 0, 0, 0] } as const;
const V1 = { version: [1, 0, 0, 0] } as const;

describe('probeKernel', () => {
  it('finds no module when none of the fingerprint files exists, and sends nothing', () => {
    const { result, sys } = run(FINGERPRINTS.none, {});
    expect(result.dialect).toBeNull();
    expect(result.reasons[0]).toMatch(/^no blksnap module/);
    expect(sys.calls).toEqual([]);
  });

  it('tells VAL-7.0 by ENOTTY to the VAL-13 ATTACH number, after VERSION 7', () => {
    const { result, sys } = run(FINGERPRINTS.standalone, { [VERSION_REQUEST]: V7, [VAL13_ATTACH_PROBE]: 'ENOTTY' });
    expect(result.dialect).toBe('val-7.0');
    expect(sys.ioctls().map((c) => c.request)).toEqual([VERSION_REQUEST, 0xc038468c]);
    const attach = sys.ioctls()[1];
    expect(attach?.path).toMatch(/\/dev\/bdevfilter$/);
    expect(attach?.arg?.readBigUInt64LE(0), 'devpath = 0').toBe(0n);
    assertSafe(sys);
  });

  it('tells VAL-13 by EFAULT (devpath 0: nothing attached) and marks it unverified in the reasons', () => {
    const { result, sys } = run(FINGERPRINTS.standalone, { [VERSION_REQUEST]: V7, [VAL13_ATTACH_PROBE]: 'EFAULT' });
    expect(result.dialect).toBe('val-13');
    expect(result.reasons.join(' ')).toMatch(/unverified/);
    assertSafe(sys);
  });

  it('stops on an inconclusive standalone answer instead of guessing', () => {
    const { result, sys } = run(FINGERPRINTS.standalone, { [VERSION_REQUEST]: V7, [VAL13_ATTACH_PROBE]: 'EINVAL' });
    expect(result.dialect).toBeNull();
    expect(result.reasons.at(-1)).toMatch(/unknown standalone build/);
    assertSafe(sys);
  });

  it('confirms lk6.15 by ENOENT to CTL 0xC0301290 with a foreign filter name on an unfiltered device', () => {
    const { result, sys } = run(FINGERPRINTS.upstream, { [VERSION_REQUEST]: V2, [LK615_CTL_PROBE]: 'ENOENT' }, '6.15.2');
    expect(result.dialect).toBe('lk6.15');
    const ctl = sys.ioctls()[1];
    expect(ctl?.request).toBe(0xc0301290);
    expect(ctl?.path).toMatch(/\/dev\/sda$/);
    expect(ctl?.arg?.subarray(0, 32).toString('utf8').replace(/\0+$/, '')).toBe('probe');
    expect(ctl?.arg?.readUInt32LE(32), 'cmd CBTINFO').toBe(0);
    expect(ctl?.arg?.readUInt32LE(36), 'optlen').toBe(40);
    assertSafe(sys);
  });

  it('lets the CTL answer win over the kernel base (ENOENT on a 6.12 base → lk6.15)', () => {
    const { result, sys } = run(FINGERPRINTS.upstream, { [VERSION_REQUEST]: V2, [LK615_CTL_PROBE]: 'ENOENT' }, '6.12.0');
    expect(result.dialect).toBe('lk6.15');
    assertSafe(sys);
  });

  it('tells v7 by ENOTTY on a 6.8–6.14 base and v6 on 6.7 (no side-effect-free probe between them)', () => {
    const v7 = run(FINGERPRINTS.upstream, { [VERSION_REQUEST]: V2, [LK615_CTL_PROBE]: 'ENOTTY' }, '6.9.0');
    expect(v7.result.dialect).toBe('v7');
    const v6 = run(FINGERPRINTS.upstream, { [VERSION_REQUEST]: V2, [LK615_CTL_PROBE]: 'ENOTTY' }, '6.7.0-rc1');
    expect(v6.result.dialect).toBe('v6');
    assertSafe(v7.sys);
    assertSafe(v6.sys);
  });

  it('goes by the kernel base when the CTL answer is inconclusive (EINVAL from a loop driver)', () => {
    const { result, sys } = run(FINGERPRINTS.upstream, { [VERSION_REQUEST]: V2, [LK615_CTL_PROBE]: 'EINVAL' }, '6.15.0');
    expect(result.dialect).toBe('lk6.15');
    expect(result.reasons.join(' ')).toMatch(/inconclusive/);
    assertSafe(sys);
  });

  it('asks the next free device when one answers inconclusively, disks before loop devices, at most 4', () => {
    const free = (names: string[]) => Object.fromEntries([['/dev/blksnap-control', ''], ...names.flatMap((n) => [[`/dev/${n}`, ''], [`/sys/class/block/${n}/filter`, '\n']])]);
    const answers = (kind: 'lk6.15' | 'v7', inconclusive: RegExp) => ({
      [VERSION_REQUEST]: V2,
      [LK615_CTL_PROBE]: (call: Call): Answer => (inconclusive.test(call.path) ? 'EINVAL' : kind === 'lk6.15' ? 'ENOENT' : 'ENOTTY'),
    });
    const asked = (sys: ScriptedSys) => sys.ioctls().filter((c) => c.request === LK615_CTL_PROBE).map((c) => c.path.split('/').pop());
    // A 6.12 guest with loop devices (measured: loop answers EINVAL on v6/v7): the disk is asked first.
    const v7 = run(free(['loop0', 'loop1', 'vda']), answers('v7', /loop/), '6.12.118');
    expect(v7.result.dialect).toBe('v7');
    expect(asked(v7.sys)).toEqual(['vda']);
    const lk = run(free(['loop0', 'vda']), answers('lk6.15', /loop/), '6.12.118');
    expect(lk.result.dialect).toBe('lk6.15');
    expect(lk.result.facts.guess).toBeNull();
    // An inconclusive disk: the next one decides, and the reasons say what was skipped.
    const next = run(free(['sda', 'sdb']), answers('v7', /sda$/), '6.12.118');
    expect(asked(next.sys)).toEqual(['sda', 'sdb']);
    expect(next.result.facts.upstreamCtlProbe).toMatchObject({ answer: 'ENOTTY' });
    expect(next.result.reasons.join(' ')).toMatch(/inconclusive first .*sda → EINVAL/);
    // Nothing conclusive among the first 4: the kernel base, flagged as a guess.
    const none = run(free(['loop0', 'loop1', 'loop2', 'loop3', 'loop4', 'loop5']), answers('v7', /loop/), '6.12.118');
    expect(asked(none.sys)).toHaveLength(4);
    expect(none.result.dialect).toBe('v7');
    expect(none.result.facts.guess).toMatch(/kernel base 6.12 alone/);
    for (const r of [v7, lk, next, none]) assertSafe(r.sys);
  });

  it('asks an attached disk before free loop devices (a loop device of size 0 cannot be attached: measured on v6)', () => {
    const files = Object.fromEntries([['/dev/blksnap-control', ''], ...['loop0', 'loop1', 'loop2', 'loop3', 'loop4', 'vda'].flatMap((n) => [[`/dev/${n}`, ''], [`/sys/class/block/${n}/filter`, n === 'vda' ? 'blksnap\n' : '\n']])]);
    const kernel = upstreamKernel('v6', ['/dev/vda']);
    const { result, sys } = run(files, { ...kernel, [LK615_CTL_PROBE]: (call: Call): Answer => (/loop/.test(call.path) ? 'EINVAL' : 'ENOTTY') }, '6.12.118');
    expect(result.dialect).toBe('v6');
    expect(result.facts.guess).toBeNull();
    assertSafe(sys, ['/dev/vda']);
  });

  it('with every device attached, loop devices included, v6 is still told from v7 (the disk is asked first)', () => {
    const files = Object.fromEntries([['/dev/blksnap-control', ''], ...['loop0', 'loop1', 'loop2', 'loop3', 'vda'].flatMap((n) => [[`/dev/${n}`, ''], [`/sys/class/block/${n}/filter`, 'blksnap\n']])]);
    const kernel = upstreamKernel('v6', ['/dev/loop0', '/dev/loop1', '/dev/loop2', '/dev/loop3', '/dev/vda']);
    const lk615Ctl = (call: Call): Answer => (/loop/.test(call.path) ? 'EINVAL' : 'ENOTTY');
    const { result, sys } = run(files, { ...kernel, [LK615_CTL_PROBE]: lk615Ctl }, '6.12.118');
    expect(result.dialect).toBe('v6');
    expect(result.facts.upstreamCtlProbe).toMatchObject({ device: expect.stringMatching(/\/vda$/), answer: 'ENOTTY' });
    expect(result.facts.guess).toBeNull();
    assertSafe(sys, ['/dev/loop0', '/dev/loop1', '/dev/loop2', '/dev/loop3', '/dev/vda']);
  });

  it('refuses /dev/blksnap-control below 6.7 after VERSION only', () => {
    const { result, sys } = run(FINGERPRINTS.upstream, { [VERSION_REQUEST]: V2 }, '6.5.0');
    expect(result.dialect).toBeNull();
    expect(sys.ioctls().map((c) => c.request)).toEqual([VERSION_REQUEST]);
    assertSafe(sys);
  });

  it('identifies v1 6.1+ and 6.0 by their class and VERSION 1, sending nothing else', () => {
    const v1 = run(FINGERPRINTS.v1, { [VERSION_REQUEST]: V1 });
    expect(v1.result).toMatchObject({ dialect: 'v1', facts: { v1Variant: '6.1+', controlNode: '/dev/veeamblksnap' } });
    const v10 = run(FINGERPRINTS.v10, { [VERSION_REQUEST]: V1 });
    expect(v10.result).toMatchObject({ dialect: 'v1', facts: { v1Variant: '6.0', controlNode: '/dev/blksnap' } });
    expect(v1.sys.ioctls().map((c) => c.request)).toEqual([VERSION_REQUEST]);
    assertSafe(v1.sys);
    assertSafe(v10.sys);
  });

  it('stops at a VERSION that disagrees with the files (unknown build), before any other ioctl', () => {
    const { result, sys } = run(FINGERPRINTS.standalone, { [VERSION_REQUEST]: V2, [VAL13_ATTACH_PROBE]: 'ENOTTY' });
    expect(result.dialect).toBeNull();
    expect(result.reasons.at(-1)).toMatch(/unknown build/);
    expect(sys.ioctls().map((c) => c.request)).toEqual([VERSION_REQUEST]);
  });

  it('says "run as root" when the control node does not open', () => {
    const { result, sys } = run(FINGERPRINTS.standalone, {}, '6.1.0', { '/dev/veeamblksnap': 'EACCES' });
    expect(result.dialect).toBeNull();
    expect(result.reasons.at(-1)).toMatch(/run blksnap Manager as root/);
    expect(sys.ioctls()).toEqual([]);
  });
});

/**
 * The filter ioctls of each upstream patch set, as `blkfilter_ioctl_ctl` answers them (VERSION 2):
 * no filter → ENOENT; foreign name → ENOENT on v6, EINVAL on v7/lk6.15; unknown nr → ENOTTY.
 * 0xC030128E on lk6.15 is ATTACH: answered 0 (it would attach), and the safety check rejects it.
 */
function upstreamKernel(kind: 'v6' | 'v7' | 'lk6.15', attached: string[]): Record<number, Answer | AnswerFn> {
  const ctl = (call: Call): Answer => {
    const filter = attached.some((d) => call.path.endsWith(d)) ? 'blksnap' : null;
    if (!filter) return 'ENOENT';
    if (filterName(call) !== filter) return kind === 'v6' ? 'ENOENT' : 'EINVAL';
    return 0;
  };
  if (kind === 'lk6.15') return { [VERSION_REQUEST]: V2, [LK615_CTL_PROBE]: ctl, [V6V7_CTL_PROBE]: 0 };
  return { [VERSION_REQUEST]: V2, [LK615_CTL_PROBE]: 'ENOTTY', [V6V7_CTL_PROBE]: ctl };
}

describe('probeKernel on upstream kernels with filters attached (issue 19, items 13 and 14)', () => {
  it('confirms lk6.15 on a 6.12 base when every device has blksnap attached, by CTL CBTINFO named blksnap (it only reads)', () => {
    const { result, sys } = run(FINGERPRINTS.upstreamAllAttached, upstreamKernel('lk6.15', ['/dev/sda']), '6.12.118');
    expect(result.dialect).toBe('lk6.15');
    expect(result.facts.upstreamCtlProbe).toMatchObject({ name: 'blksnap', answer: '0' });
    const ctl = sys.ioctls()[1];
    expect(ctl?.request).toBe(0xc0301290);
    expect(filterName(ctl as Call)).toBe('blksnap');
    expect(ctl?.arg?.readUInt32LE(32), 'cmd CBTINFO').toBe(0);
    expect(result.facts.guess).toBeNull();
    assertSafe(sys, ['/dev/sda']);
  });

  it('tells v7 on a 6.12 base by EINVAL to the v6/v7 CTL with a foreign name on the attached device', () => {
    const { result, sys } = run(FINGERPRINTS.upstreamAllAttached, upstreamKernel('v7', ['/dev/sda']), '6.12.118');
    expect(result.dialect).toBe('v7');
    expect(result.facts.v6v7CtlProbe).toMatchObject({ answer: 'EINVAL' });
    expect(result.facts.guess).toBeNull();
    assertSafe(sys, ['/dev/sda']);
  });

  it('tells v6 on a 6.12 base by ENOENT to the v6/v7 CTL with a foreign name (everything attached)', () => {
    const { result, sys } = run(FINGERPRINTS.upstreamAllAttached, upstreamKernel('v6', ['/dev/sda']), '6.12.118');
    expect(result.dialect).toBe('v6');
    const last = sys.ioctls().at(-1);
    expect(last?.request).toBe(0xc030128e);
    expect(filterName(last as Call)).toBe('probe');
    assertSafe(sys, ['/dev/sda']);
  });

  it('tells v6 from v7 with one device attached and another free: ENOTTY on the free one, then the attached one', () => {
    const v6 = run(FINGERPRINTS.upstreamOneAttached, upstreamKernel('v6', ['/dev/sda']), '6.12.118');
    expect(v6.result.dialect).toBe('v6');
    expect(v6.result.facts.upstreamCtlProbe).toMatchObject({ name: 'probe', answer: 'ENOTTY' });
    expect(v6.result.facts.upstreamCtlProbe?.device).toMatch(/\/dev\/sdb$/);
    assertSafe(v6.sys, ['/dev/sda']);
    const v7 = run(FINGERPRINTS.upstreamOneAttached, upstreamKernel('v7', ['/dev/sda']), '6.12.118');
    expect(v7.result.dialect).toBe('v7');
    assertSafe(v7.sys, ['/dev/sda']);
    const lk = run(FINGERPRINTS.upstreamOneAttached, upstreamKernel('lk6.15', ['/dev/sda']), '6.12.118');
    expect(lk.result.dialect).toBe('lk6.15');
    assertSafe(lk.sys, ['/dev/sda']);
  });

  it('with nothing attached, v6 vs v7 rests on the kernel base: the probe says it is a guess and the doctor how to confirm', () => {
    const { result, sys, root } = run(FINGERPRINTS.upstream, upstreamKernel('v6', []), '6.12.118');
    expect(result.dialect).toBe('v7');
    expect(result.facts.guess).toMatch(/v6 or v7: v7 is a guess.*attach blksnap to a spare device.*--dialect v6/);
    expect(sys.ioctls().map((c) => c.request), 'nothing attached: no v6/v7 CTL').toEqual([VERSION_REQUEST, LK615_CTL_PROBE]);
    assertSafe(sys);
    const doctor = collectDoctor({ root, sys: new ScriptedSys(upstreamKernel('v6', [])), kernelRelease: '6.12.118' });
    expect(doctor.fixes.join('\n')).toMatch(/The dialect is a guess: v6 or v7/);
  });

  it('an lk6.15 kernel is never sent 0xC030128E, attached or not', () => {
    const cases: [Record<string, string>, string[]][] = [
      [FINGERPRINTS.upstream, []], [FINGERPRINTS.upstreamAllAttached, ['/dev/sda']], [FINGERPRINTS.upstreamOneAttached, ['/dev/sda']],
    ];
    for (const [files, attached] of cases) {
      const { result, sys } = run(files, upstreamKernel('lk6.15', attached), '6.12.118');
      expect(result.dialect).toBe('lk6.15');
      expect(sys.ioctls().map((c) => c.request)).not.toContain(0xc030128e);
    }
  });

  it('without any filter attribute to ask, the kernel base is a guess and the doctor says so', () => {
    const { result, sys } = run(FINGERPRINTS.upstreamNoFilterFiles, upstreamKernel('lk6.15', []), '6.12.0');
    expect(result.dialect).toBe('v7');
    expect(result.facts.guess).toMatch(/kernel base 6.12 alone/);
    expect(sys.ioctls().map((c) => c.request)).toEqual([VERSION_REQUEST]);
  });

  it('refuses a forced v6 once the probe proved v7', async () => {
    const root = fakeRoot(FINGERPRINTS.upstreamAllAttached);
    roots.push(root);
    const sys = new ScriptedSys(upstreamKernel('v7', ['/dev/sda']));
    await expect(openKernelBackend({ root, sys, kernelRelease: '6.12.118', dialect: 'v6' })).rejects.toThrow(/--dialect v6 is refused: .* answered EINVAL, so the module is v7/);
  });

  it('refuses a forced v7 when CBTINFO named blksnap proved lk6.15 on an attached device', async () => {
    const root = fakeRoot(FINGERPRINTS.upstreamAllAttached);
    roots.push(root);
    const sys = new ScriptedSys(upstreamKernel('lk6.15', ['/dev/sda']));
    await expect(openKernelBackend({ root, sys, kernelRelease: '6.12.118', dialect: 'v7' })).rejects.toThrow(/--dialect v7 is refused: the lk6.15 CTL probe .* answered 0/);
    expect(sys.ioctls().map((c) => c.request)).not.toContain(0xc030128e);
  });
});

describe('openKernelBackend', () => {
  it('fails clearly without a module', async () => {
    const root = fakeRoot({});
    roots.push(root);
    await expect(openKernelBackend({ root, sys: new ScriptedSys({}) })).rejects.toThrow(/no usable blksnap module: no blksnap module/);
  });

  it('refuses a forced dialect of another family, naming what was found', async () => {
    const root = fakeRoot(FINGERPRINTS.standalone);
    roots.push(root);
    const sys = new ScriptedSys({ [VERSION_REQUEST]: V7, [VAL13_ATTACH_PROBE]: 'ENOTTY' });
    const err = await openKernelBackend({ root, sys, dialect: 'lk6.15' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlksnapError);
    expect((err as BlksnapError).message).toMatch(/--dialect lk6.15 is impossible here.*\/dev\/bdevfilter exists/);
    assertSafe(sys);
  });

  it('refuses a forced v7 when the probe proved lk6.15, whose ATTACH has v7\'s CTL number', async () => {
    const root = fakeRoot(FINGERPRINTS.upstream);
    roots.push(root);
    const sys = new ScriptedSys({ [VERSION_REQUEST]: V2, [LK615_CTL_PROBE]: 'ENOENT' });
    const err = await openKernelBackend({ root, sys, kernelRelease: '6.15.2', dialect: 'v7' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlksnapError);
    expect((err as BlksnapError).message).toMatch(/--dialect v7 is refused: the lk6.15 CTL probe .* answered ENOENT/);
    expect(sys.ioctls().map((c) => c.request)).not.toContain(0xc030128e);
    assertSafe(sys);
  });

  it('accepts a forced dialect of the detected family and says so in the backend reason', async () => {
    const root = fakeRoot(FINGERPRINTS.standalone);
    roots.push(root);
    const sys = new ScriptedSys({ [VERSION_REQUEST]: V7, [VAL13_ATTACH_PROBE]: 'ENOTTY' });
    const control = await openKernelBackend({ root, sys, dialect: 'val-13' });
    expect(control.info).toMatchObject({ kind: 'kernel', dialect: 'val-13', verified: false, version: { major: 7 } });
    expect(control.info.reason).toMatch(/^forced by --dialect val-13; the probe suggested val-7.0/);
    await control.close();
  });

  it('opens the detected dialect with the probe reasons', async () => {
    const root = fakeRoot(FINGERPRINTS.standalone);
    roots.push(root);
    const sys = new ScriptedSys({ [VERSION_REQUEST]: V7, [VAL13_ATTACH_PROBE]: 'ENOTTY' });
    const control = await openKernelBackend({ root, sys });
    expect(control.info).toMatchObject({ dialect: 'val-7.0', verified: true, controlNode: '/dev/veeamblksnap' });
    expect(control.info.reason).toMatch(/VAL-7.0/);
    await control.close();
    expect(sys.openFds()).toBe(0);
  });
});
