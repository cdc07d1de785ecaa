// The doctor: what a person needs to know to get the kernel backend running. Kernel release,
// the blksnap modules (loaded? version, parameters), the nodes with their permissions, the
// probe's dialect and why, and what is missing with how to fix it.
import type { DoctorReport } from '../../../shared/contract';
import type { BackendInfo } from '../../../shared/schemas';
import type { BlksnapControl } from '../types';
import { DIALECTS } from './dialects';
import { KernelEnv, type KernelEnvOptions } from './env';
import { probeKernel, type ProbeResult } from './probe';
import { readParameters } from './dialects/v2-family/sysfs';

export type DoctorFacts = Omit<DoctorReport, 'backend'>;

export interface DoctorOptions extends KernelEnvOptions {
  /** A probe already run (else the doctor runs one: the side-effect-free steps of spec §0.3). */
  probe?: ProbeResult;
}

const MODULES = ['blksnap', 'veeamblksnap', 'bdevfilter'] as const;
const NODES: ReadonlyArray<[string, string]> = [
  ['/dev/blksnap-control', 'upstream control node (v6, v7/lk6.9, lk6.15)'],
  ['/dev/veeamblksnap', 'Veeam control node (v1 6.1+, VAL-7.0, VAL-13)'],
  ['/dev/bdevfilter', 'standalone filter node (VAL-7.0, VAL-13)'],
  ['/dev/blksnap', 'v1 6.0 control node'],
];

export function collectDoctor(opts: DoctorOptions & { backend: BackendInfo }): DoctorReport;
export function collectDoctor(opts?: DoctorOptions): DoctorFacts;
export function collectDoctor(opts: DoctorOptions & { backend?: BackendInfo } = {}): DoctorFacts | DoctorReport {
  const env = new KernelEnv(opts);
  const probe = opts.probe ?? probeKernel(opts);
  const procModules = env.readText('/proc/modules') ?? '';
  const listed = new Set(procModules.split('\n').map((l) => l.split(' ')[0]));
  const modules = MODULES.map((name) => {
    const inSys = env.exists(`/sys/module/${name}`);
    const loaded = listed.has(name) || env.exists(`/sys/module/${name}/parameters`) || env.exists(`/sys/module/${name}/version`);
    return {
      name, loaded,
      version: inSys ? env.readText(`/sys/module/${name}/version`)?.trim() ?? null : null,
      parameters: loaded ? readParameters(env, name) : {},
    };
  });
  const nodes = NODES.map(([path, what]) => nodeFacts(env, path, what));
  const reasons = [...probe.reasons];
  const fixes: string[] = [];
  const anyLoaded = modules.some((m) => m.loaded);

  if (!anyLoaded && !probe.facts.family) {
    reasons.unshift(`no blksnap module loaded: /proc/modules and /sys/module list none of ${MODULES.join(', ')} (kernel ${env.kernelRelease()})`);
    fixes.push('Load the module: `modprobe veeamblksnap` (Veeam standalone or Veeam Agent, loads bdevfilter) or `modprobe blksnap` on a kernel patched with upstream blksnap; until then blksnap Manager uses the emulator.');
  } else if (anyLoaded && !probe.facts.family) {
    fixes.push(`A module is loaded (${modules.filter((m) => m.loaded).map((m) => m.name).join(', ')}) but no control node or class exists: check \`dmesg\` and udev.`);
  }
  for (const node of nodes) {
    if (node.exists && !env.accessible(node.path)) fixes.push(`Run blksnap Manager as root (sudo), or grant this user read-write access to ${node.path} (udev rule).`);
  }
  missingNodeFixes(env, fixes);
  const v = probe.facts.version;
  if (v && probe.dialect === null && probe.reasons.some((r) => r.includes('mismatch'))) {
    fixes.push(`Tools/module mismatch: the module answers VERSION ${v.major}.${v.minor}.${v.revision}.${v.build}, which does not fit its nodes; update blksnap Manager or the module, or force a dialect with --dialect.`);
  }
  const chosen = probe.dialect ? DIALECTS[probe.dialect] : undefined;
  if (chosen) reasons.push(`chosen dialect: ${chosen.label}${chosen.verifiedBy ? `, verified by ${chosen.verifiedBy}` : ''}`);
  if (probe.dialect && !chosen) fixes.push(`The ${probe.dialect} dialect was detected but this build has no kernel client for it; use the emulator.`);
  if (probe.facts.guess) fixes.push(`The dialect is a guess: ${probe.facts.guess}.`);
  if (probe.dialect === 'val-13') fixes.push('VAL-13 is an unverified dialect (inferred from third-party sources): watch results closely and report differences.');
  if (probe.facts.family === 'upstream' && probe.dialect === null) fixes.push('Use a kernel with the v6, v7/lk6.9 or lk6.15 blksnap patches (base 6.7 or later), or force --dialect if you know which patch set it has.');

  const facts: DoctorFacts = {
    kernelRelease: env.kernelRelease(),
    modules,
    nodes,
    dialect: probe.dialect,
    reasons,
    fixes: [...new Set(fixes)],
  };
  return opts.backend ? { ...facts, backend: opts.backend } : facts;
}

function nodeFacts(env: KernelEnv, path: string, what: string): DoctorFacts['nodes'][number] {
  const st = env.stat(path);
  if (!st) return { path, exists: false, mode: null, note: `${what}: absent` };
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isDirectory() ? 'd' : '-';
  const perms = (st.mode & 0o777).toString(8).padStart(3, '0');
  const rdev = st.rdev ? ` ${Math.floor(st.rdev / 256) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}` : '';
  const access = env.accessible(path) ? 'read-write for this process' : `not accessible to uid ${process.getuid?.() ?? '?'}: run as root`;
  return { path, exists: true, mode: `${type}${perms} uid ${st.uid} gid ${st.gid}${rdev}`, note: `${what}; ${access}` };
}

/** A class or misc entry without its /dev node (no udev): the mknod that creates it. */
function missingNodeFixes(env: KernelEnv, fixes: string[]): void {
  const classes: ReadonlyArray<[string, string]> = [['/sys/class/veeamblksnap/major', '/dev/veeamblksnap'], ['/sys/class/blksnap/major', '/dev/blksnap']];
  for (const [file, node] of classes) {
    const major = env.readText(file)?.trim();
    if (major && !env.exists(node)) fixes.push(`Create the control node: \`mknod ${node} c ${major} 0\` (no udev rule created it).`);
  }
  for (const name of ['bdevfilter', 'veeamblksnap', 'blksnap-control']) {
    const dev = env.readText(`/sys/class/misc/${name}/dev`)?.trim();
    if (dev && !env.exists(`/dev/${name}`)) fixes.push(`Create the node: \`mknod /dev/${name} c ${dev.replace(':', ' ')}\` (no udev rule created it).`);
  }
}

/** The service's DoctorProvider (electron/service/config.ts): the doctor with the active backend. */
export function kernelDoctorProvider(opts: DoctorOptions = {}): (control: BlksnapControl) => Promise<DoctorReport> {
  return async (control) => collectDoctor({ ...opts, backend: control.info });
}
