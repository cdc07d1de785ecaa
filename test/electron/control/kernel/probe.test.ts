// The probe on every dialect's fingerprints (spec §0.3), without a kernel: a temporary root
// for /dev and /sys, and scripted ioctl answers. The hazards are asserted on every scenario.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LK615_CTL_PROBE, VAL13_ATTACH_PROBE, VERSION_REQUEST, openKernelBackend, probeKernel } from '../../../../electron/control/kernel/probe';
import { BlksnapError } from '../../../../shared/errors';
import { FINGERPRINTS, ScriptedSys, fakeRoot, type Answer } from './probe-fixtures';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function run(files: Record<string, string>, answers: Record<number, Answer>, kernelRelease = '6.1.0-56-amd64', openErrors = {}) {
  const root = fakeRoot(files);
  roots.push(root);
  const sys = new ScriptedSys(answers, openErrors);
  const result = probeKernel({ root, sys, kernelRelease });
  return { result, sys, root };
}

/** The hazards of §0.3, checked after every probe. */
function assertSafe(sys: ScriptedSys): void {
  const ioctls = sys.ioctls();
  if (ioctls.length) expect(ioctls[0]?.request, 'the first ioctl is VERSION').toBe(VERSION_REQUEST);
  for (const c of ioctls) {
    expect(c.request, '0xC030128E is never sent by the probe').not.toBe(0xc030128e);
    expect([VERSION_REQUEST, LK615_CTL_PROBE, VAL13_ATTACH_PROBE]).toContain(c.request);
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
