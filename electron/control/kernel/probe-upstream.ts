// Step 3 of spec §0.3: which upstream patch set (v6, v7/lk6.9, lk6.15) runs on this kernel.
// The kernel base is only a hint (lk6.15, v7 and v6 all run on a 6.12 base, measured), so the
// kernel is asked, without side effects:
// a. a device whose `filter` is empty: lk6.15 CTL (0xC0301290) with a foreign name → ENOENT on
//    lk6.15, ENOTTY on v6/v7 (they do not know nr 144);
// b. else a device with `blksnap` attached: lk6.15 CTL CBTINFO with name `blksnap` → 0 on
//    lk6.15 (it only reads), ENOTTY on v6/v7;
// c. once lk6.15 is ruled out, a device with `blksnap` attached: the v6/v7 CTL (0xC030128E) with
//    a foreign name → ENOENT on v6, EINVAL on v7 (`blkfilter_ioctl_ctl` of each patch set).
// 0xC030128E is lk6.15's ATTACH: it is sent only after a conclusive ENOTTY ruled lk6.15 out.
import type { DialectId } from '../../../shared/schemas';
import type { KernelEnv } from './env';
import { NativeMemory, O_CLOEXEC, O_RDONLY } from './native';
import { StructView } from './struct';
import { lk615 } from './dialects/lk6.15';
import { v7 } from './dialects/v7';
import { CTL, blkfilter_ctl, blksnap_cbtinfo } from './dialects/v2-family/structs';

/** lk6.15 BLKFILTER_CTL: ENOENT there for an unknown filter name, ENOTTY on v6/v7. */
export const LK615_CTL_PROBE = lk615.requests.FILTER_CTL;
/** v6/v7 BLKFILTER_CTL (lk6.15's ATTACH): sent only once lk6.15 is ruled out. */
export const V6V7_CTL_PROBE = v7.requests.FILTER_CTL;
const FOREIGN_FILTER_NAME = 'probe';
/** How many devices the lk6.15 CTL is sent to at most before going by the kernel base. */
const MAX_ASKED = 4;

export interface UpstreamProbeFacts {
  /** The lk6.15 CTL probe: its device, the filter name sent and the answer (errno name or "0"). */
  upstreamCtlProbe: { device: string; name: string; answer: string } | null;
  /** The v6/v7 CTL with a foreign name on an attached device: ENOENT v6, EINVAL v7. */
  v6v7CtlProbe: { device: string; answer: string } | null;
  /** Set when the dialect rests on the kernel base alone: what is unsure and how to confirm it. */
  guess: string | null;
}

export interface UpstreamProbeInput {
  kernelRelease: string;
  kernelBase: [number, number] | null;
}

export function probeUpstream(env: KernelEnv, input: UpstreamProbeInput, facts: UpstreamProbeFacts, reasons: string[]): DialectId | null {
  const base = input.kernelBase;
  if (!base) {
    reasons.push(`kernel release "${input.kernelRelease}" has no recognisable version`);
    return null;
  }
  const [major, minor] = base;
  const at = (m: number, n: number) => major > m || (major === m && minor >= n);
  if (!at(6, 7)) {
    reasons.push(`kernel base ${major}.${minor} is below 6.7: /dev/blksnap-control there is an early upstream series (v1–v5), not supported`);
    return null;
  }
  const byBase: DialectId = at(6, 15) ? 'lk6.15' : at(6, 8) ? 'v7' : 'v6';
  reasons.push(`kernel base ${major}.${minor} suggests ${byBase} (a hint only: every upstream patch set runs on a 6.12 base)`);

  const free = byDriverSafety(devicesWithFilter(env, ''));
  const attached = byDriverSafety(devicesWithFilter(env, 'blksnap'));
  // Ask free devices first (a foreign name: nothing to change), then attached ones (CBTINFO
  // named blksnap: it only reads), until one answer is conclusive: on v6/v7 nr 144 reaches the
  // driver, and some (loop) answer EINVAL. At most MAX_ASKED devices; loop-like ones last, even
  // after attached disks (a loop device of size 0 cannot be attached: measured on v6).
  const asks = [...free.map((d) => [d, FOREIGN_FILTER_NAME] as const), ...attached.map((d) => [d, 'blksnap'] as const)]
    .sort(([a], [b]) => Number(isVirtual(a)) - Number(isVirtual(b)));
  const inconclusive: string[] = [];
  let lk615: boolean | null = null;
  for (const [device, name] of asks.slice(0, MAX_ASKED)) {
    const answer = filterCtl(env, device, LK615_CTL_PROBE, name);
    facts.upstreamCtlProbe = { device, name, answer };
    lk615 = answer === (name === 'blksnap' ? '0' : 'ENOENT') ? true : answer === 'ENOTTY' ? false : null;
    if (lk615 !== null) break;
    inconclusive.push(`${device} → ${answer}`);
  }
  if (inconclusive.length && lk615 !== null) reasons.push(`inconclusive first (drivers such as loop answer unknown ioctls with EINVAL): ${inconclusive.join(', ')}`);
  const ctl = facts.upstreamCtlProbe;
  const ctlText = ctl ? `CTL 0x${hex(LK615_CTL_PROBE)} (lk6.15 number, filter "${ctl.name}", CBTINFO) on ${ctl.device} → ${ctl.answer}` : '';
  if (lk615 === true) {
    reasons.push(`${ctlText}: lk6.15${byBase === 'lk6.15' ? '' : ` (although the kernel base suggested ${byBase})`}`);
    return 'lk6.15';
  }
  if (lk615 === null) {
    reasons.push(ctl
      ? `CTL 0x${hex(LK615_CTL_PROBE)} (lk6.15 number) inconclusive on ${inconclusive.join(', ')} (drivers such as loop answer unknown ioctls with EINVAL); going by the kernel base`
      : 'no block device with a filter attribute to ask (neither empty nor blksnap): going by the kernel base');
    facts.guess = `${byBase} rests on the kernel base ${major}.${minor} alone, which does not tell the upstream patch sets apart; `
      + 'confirm with a block device whose filter attribute is empty (or one with blksnap attached) and run the doctor again, or force --dialect';
    return byBase;
  }
  reasons.push(`${ctlText}: not lk6.15 (v6 and v7 do not know nr 144)`);
  return tellV6FromV7(env, attached, byBase, facts, reasons);
}

/** Step c: with lk6.15 ruled out, 0xC030128E is CTL on both; a foreign name tells them apart. */
function tellV6FromV7(env: KernelEnv, attached: string[], byBase: DialectId, facts: UpstreamProbeFacts, reasons: string[]): DialectId {
  const guessed: DialectId = byBase === 'v6' ? 'v6' : 'v7';
  const device = attached[0];
  if (device) {
    const answer = filterCtl(env, device, V6V7_CTL_PROBE, FOREIGN_FILTER_NAME);
    facts.v6v7CtlProbe = { device, answer };
    const text = `CTL 0x${hex(V6V7_CTL_PROBE)} (v6/v7 number, filter "${FOREIGN_FILTER_NAME}") on ${device}, which has blksnap attached → ${answer}`;
    if (answer === 'ENOENT') {
      reasons.push(`${text}: v6 (it answers a foreign filter name with ENOENT)`);
      return 'v6';
    }
    if (answer === 'EINVAL') {
      reasons.push(`${text}: v7/lk6.9 (it answers a foreign filter name with EINVAL)`);
      return 'v7';
    }
    reasons.push(`${text}: inconclusive`);
  }
  reasons.push(`${guessed} assumed from the kernel base: v6 and v7 differ on the wire only once a device has blksnap attached`);
  facts.guess = `v6 or v7: ${guessed} is a guess from the kernel base (their SNAPSHOT_CREATE differs: v6 takes a file descriptor, v7 a path). `
    + 'To confirm, attach blksnap to a spare device (`blksnapctl attach -d DEV`: the same request in v6 and v7) and run the doctor again; '
    + `or force --dialect v6 / --dialect v7`;
  return guessed;
}

function hex(n: number): string {
  return n.toString(16).toUpperCase();
}

/** Disks first, then loop, ram, zram, nbd and md devices, whose drivers answer unknown ioctls themselves. */
function byDriverSafety(devices: string[]): string[] {
  return [...devices.filter((d) => !isVirtual(d)), ...devices.filter(isVirtual)];
}

function isVirtual(device: string): boolean {
  return /\/(loop|ram|zram|nbd|md)\d/.test(device);
}

/** Block devices (as paths to open) whose sysfs `filter` reads `name` ('' = no filter). */
function devicesWithFilter(env: KernelEnv, name: string): string[] {
  const out: string[] = [];
  for (const dev of env.list('/sys/class/block')) {
    const filter = env.readText(`/sys/class/block/${dev}/filter`);
    if (filter !== null && filter.trim() === name) out.push(env.path(`/dev/${dev}`));
  }
  return out;
}

/** One CTL CBTINFO (it only reads) on `device`; the answer as an errno name or "0". */
function filterCtl(env: KernelEnv, device: string, request: number, name: string): string {
  const fd = env.sys.open(device, O_RDONLY | O_CLOEXEC);
  if (fd.ret < 0) return `open failed ${fd.errnoName ?? fd.errno}`;
  const opt = new NativeMemory(blksnap_cbtinfo.size);
  const arg = new NativeMemory(blkfilter_ctl.size);
  try {
    const ctl = new StructView(blkfilter_ctl).setText('name', name).setU32('cmd', CTL.CBTINFO.cmd)
      .setU32('optlen', blksnap_cbtinfo.size).setU64('opt', opt.address);
    arg.write(ctl.buf);
    const r = env.sys.ioctl(fd.ret, request, arg.address);
    return r.ret < 0 ? (r.errnoName ?? `errno ${r.errno}`) : '0';
  } finally {
    arg.free();
    opt.free();
    env.sys.close(fd.ret);
  }
}
