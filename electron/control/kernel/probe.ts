// Run-time dialect detection, exactly in the order and with the hazards of spec §0.3:
// 1. files (no side effects), 2. VERSION (the only ioctl safe on every dialect), 3. upstream:
// CTLs that only read tell the patch sets apart (probe-upstream.ts), the kernel base is a hint,
// 4. standalone: the VAL-13 ATTACH number with devpath 0. Until step 2 has identified the family,
// nothing but VERSION is sent; 0xC030128E (ATTACH in lk6.15, CTL in v6/v7) is sent only after
// the lk6.15 CTL answered ENOTTY (v6/v7 for sure), to a device with blksnap attached.
import { appError } from '../../../shared/errors';
import type { DialectId, ModuleVersion } from '../../../shared/schemas';
import type { BlksnapControl } from '../types';
import { DIALECTS } from './dialects';
import type { KernelDialect } from './dialects/types';
import { KernelEnv, kernelBase, type KernelEnvOptions } from './env';
import { findModuleNodes } from './nodes';
import { NativeMemory, O_CLOEXEC, O_RDWR } from './native';
import { StructView } from './struct';
import { val13 } from './dialects/val-13';
import { bdevfilter_attach } from './dialects/val-13/layout';
import { readVersion } from './dialects/v2-family/version';
import { LK615_CTL_PROBE, V6V7_CTL_PROBE, probeUpstream, type UpstreamProbeFacts } from './probe-upstream';

export type Family = KernelDialect['family'];

/** The only request sent before the family is known; v1 reads it as nr 0 = VERSION too. */
export const VERSION_REQUEST = 0x80085600;
export { LK615_CTL_PROBE, V6V7_CTL_PROBE };
/** VAL-13 BDEVFILTER_ATTACH (56 B): ENOTTY on VAL-7.0 (full numbers), EFAULT on VAL-13 with devpath 0. */
export const VAL13_ATTACH_PROBE = val13.requests.FILTER_ATTACH;

export interface ProbeFacts extends UpstreamProbeFacts {
  kernelRelease: string;
  kernelBase: [number, number] | null;
  family: Family | null;
  /** v1 only: 6.0 (`blksnap`) or 6.1+ (`veeamblksnap`). */
  v1Variant: '6.0' | '6.1+' | null;
  controlNode: string | null;
  version: ModuleVersion | null;
  /** Standalone: the VAL-13 ATTACH probe's answer. */
  standaloneAttachProbe: { answer: string } | null;
}

export interface ProbeResult {
  dialect: DialectId | null;
  /** Why, step by step, for people (the doctor and BackendInfo.reason show them). */
  reasons: string[];
  facts: ProbeFacts;
}

export type ProbeOptions = KernelEnvOptions;

const EXPECTED_MAJOR: Record<Family, number> = { v1: 1, upstream: 2, standalone: 7 };

export function probeKernel(opts: ProbeOptions = {}): ProbeResult {
  const env = new KernelEnv(opts);
  const release = env.kernelRelease();
  const facts: ProbeFacts = {
    kernelRelease: release, kernelBase: kernelBase(release), family: null, v1Variant: null, controlNode: null,
    version: null, upstreamCtlProbe: null, v6v7CtlProbe: null, guess: null, standaloneAttachProbe: null,
  };
  const reasons: string[] = [];
  const done = (dialect: DialectId | null): ProbeResult => ({ dialect, reasons, facts });

  // 1. Files.
  const found = findModuleNodes(env);
  reasons.push(found.reason);
  if (!found.nodes) return done(null);
  Object.assign(facts, found.nodes);
  const family = facts.family as Family;
  const controlNode = facts.controlNode as string;

  // 2. VERSION, the one request safe on every dialect.
  const opened = env.sys.open(env.path(controlNode), O_RDWR | O_CLOEXEC);
  if (opened.ret < 0) {
    const why = opened.errnoName === 'EACCES' || opened.errnoName === 'EPERM'
      ? 'permission denied: run blksnap Manager as root'
      : opened.errnoName === 'ENOENT' ? 'the node is missing (no udev?): create it with mknod' : `${opened.errnoName ?? opened.errno}`;
    reasons.push(`cannot open ${controlNode}: ${why}`);
    return done(null);
  }
  try {
    facts.version = readVersion(env, opened.ret, VERSION_REQUEST, (r) => new Error(r.errnoName ?? String(r.errno)));
  } catch (err) {
    reasons.push(`VERSION on ${controlNode} failed (${(err as Error).message}): not a blksnap module we know`);
    return done(null);
  } finally {
    env.sys.close(opened.ret);
  }
  const v = facts.version;
  const versionText = `${v.major}.${v.minor}.${v.revision}.${v.build}`;
  if (v.major !== EXPECTED_MAJOR[family]) {
    reasons.push(`VERSION ${versionText} disagrees with the ${family} nodes (expected ${EXPECTED_MAJOR[family]}.x): unknown build (tools/module mismatch); stopping before any other ioctl`);
    return done(null);
  }
  reasons.push(`VERSION ${versionText} agrees with the ${family} family`);

  if (family === 'v1') return done('v1');
  if (family === 'standalone') return done(probeStandalone(env, facts, reasons));
  return done(probeUpstream(env, { kernelRelease: release, kernelBase: facts.kernelBase }, facts, reasons));
}

/** Step 4: VAL-13's 56-byte ATTACH with devpath 0: VAL-7.0 does not know the number. */
function probeStandalone(env: KernelEnv, facts: ProbeFacts, reasons: string[]): DialectId | null {
  const fd = env.sys.open(env.path('/dev/bdevfilter'), O_RDWR | O_CLOEXEC);
  if (fd.ret < 0) {
    reasons.push(`cannot open /dev/bdevfilter (${fd.errnoName ?? fd.errno}): ${fd.errnoName === 'EACCES' ? 'run blksnap Manager as root' : 'create the node (mknod) or check udev'}; VAL-7.0 and VAL-13 cannot be told apart`);
    return null;
  }
  const layout = bdevfilter_attach;
  const arg = new NativeMemory(layout.size);
  let answer: string;
  try {
    arg.write(new StructView(layout).setU64('devpath', 0).setText('name', 'blksnap').buf);
    const r = env.sys.ioctl(fd.ret, VAL13_ATTACH_PROBE, arg.address);
    answer = r.ret < 0 ? (r.errnoName ?? `errno ${r.errno}`) : '0';
  } finally {
    arg.free();
    env.sys.close(fd.ret);
  }
  facts.standaloneAttachProbe = { answer };
  const text = `ATTACH 0x${VAL13_ATTACH_PROBE.toString(16).toUpperCase()} (VAL-13, devpath 0) on /dev/bdevfilter → ${answer}`;
  if (answer === 'ENOTTY') {
    reasons.push(`${text}: VAL-7.0 (it matches full request numbers)`);
    return 'val-7.0';
  }
  if (answer === 'EFAULT') {
    reasons.push(`${text}: VAL-13 (unverified dialect: inferred from a fork and third-party clients)`);
    return 'val-13';
  }
  reasons.push(`${text}: neither VAL-7.0 (ENOTTY) nor VAL-13 (EFAULT); unknown standalone build (force one with --dialect)`);
  return null;
}

/**
 * A forced upstream dialect that a conclusive probe answer rules out. Sending its requests would
 * be a hazard: v6/v7's FILTER_CTL number is lk6.15's FILTER_ATTACH and the other way round
 * (spec §0.3). Within the standalone family a wrong choice only fails (ENOTTY), so it stays allowed.
 */
export function contradictedBy(forced: DialectId, facts: ProbeFacts): string | null {
  const ctl = facts.upstreamCtlProbe;
  const lk615Answer = ctl?.name === 'blksnap' ? '0' : 'ENOENT';
  if (ctl?.answer === lk615Answer && (forced === 'v6' || forced === 'v7')) {
    return `the lk6.15 CTL probe on ${ctl.device} answered ${ctl.answer}, so the module is lk6.15, where ${forced}'s FILTER_CTL (0xC030128E) would attach the filter and freeze the filesystem`;
  }
  if (ctl?.answer === 'ENOTTY' && forced === 'lk6.15') {
    return `the lk6.15 CTL probe on ${ctl.device} answered ENOTTY, so the module is v6 or v7, where lk6.15's FILTER_ATTACH (0xC030128E) is read as a CTL with arbitrary arguments`;
  }
  const other = facts.v6v7CtlProbe;
  const proven = other?.answer === 'ENOENT' ? 'v6' : other?.answer === 'EINVAL' ? 'v7' : null;
  if (proven && (forced === 'v6' || forced === 'v7') && forced !== proven) {
    return `the v6/v7 CTL probe on ${other?.device} answered ${other?.answer}, so the module is ${proven}, whose SNAPSHOT_CREATE differs from ${forced}'s`;
  }
  return null;
}

export interface OpenKernelOptions extends KernelEnvOptions {
  /** Forced by --dialect: fails clearly when the machine cannot run it. */
  dialect?: DialectId;
}

/** Probes (or checks the forced dialect) and opens the kernel backend; throws EBACKEND with the reasons. */
export async function openKernelBackend(opts: OpenKernelOptions = {}): Promise<BlksnapControl> {
  const probe = probeKernel(opts);
  const env = new KernelEnv(opts);
  const { facts } = probe;
  if (opts.dialect) {
    const forced = opts.dialect;
    const entry = DIALECTS[forced];
    if (!entry) throw appError('EBACKEND', `--dialect ${forced}: this build has no kernel client for it`, { dialect: forced });
    if (facts.family !== entry.family || !facts.version || facts.version.major !== entry.versionMajor) {
      throw appError('EBACKEND', `--dialect ${forced} is impossible here: it needs the ${entry.family} family with VERSION ${entry.versionMajor}.x at ${entry.controlNode}; found: ${probe.reasons.join('; ')}`, { dialect: forced });
    }
    const contradiction = contradictedBy(forced, facts);
    if (contradiction) throw appError('EBACKEND', `--dialect ${forced} is refused: ${contradiction}`, { dialect: forced });
    const why = probe.dialect === forced
      ? `${entry.label}, as asked and confirmed by the probe`
      : `forced by --dialect ${forced}${probe.dialect ? `; the probe suggested ${probe.dialect}` : ''}`;
    return entry.open({ env, version: facts.version, reason: `${why}: ${probe.reasons.join('; ')}` });
  }
  if (!probe.dialect || !facts.version) {
    throw appError('EBACKEND', `no usable blksnap module: ${probe.reasons.join('; ')}`, { kernelRelease: facts.kernelRelease });
  }
  const entry = DIALECTS[probe.dialect];
  if (!entry) throw appError('EBACKEND', `detected the ${probe.dialect} dialect, but this build has no kernel client for it: ${probe.reasons.join('; ')}`, { dialect: probe.dialect });
  return entry.open({ env, version: facts.version, reason: probe.reasons.join('; ') });
}
