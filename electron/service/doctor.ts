// Doctor and support bundle: what is known about the machine and the backend, without
// the kernel engineer's collectDoctor (injected via config.doctor where it exists).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import type { DoctorReport } from '../../shared/contract';
import type { ModuleParameters } from '../../shared/schemas';
import type { BlksnapControl } from '../control/types';

const NODES: ReadonlyArray<[string, string]> = [
  ['/dev/blksnap-control', 'upstream control node (v6, v7/lk6.9, lk6.15)'],
  ['/dev/veeamblksnap', 'Veeam control node (v1 6.1+, VAL-7.0, VAL-13)'],
  ['/dev/bdevfilter', 'standalone filter node (VAL-7.0, VAL-13)'],
  ['/dev/blksnap', 'v1 6.0 control node'],
];
const MODULES = ['blksnap', 'veeamblksnap', 'bdevfilter'] as const;

/**
 * The kernel engineer's doctor (files, modules, nodes, a side-effect-free probe), with the
 * emulator's parameters added in emulator mode; the basic report if it cannot run here.
 */
export async function defaultDoctor(control: BlksnapControl): Promise<DoctorReport> {
  try {
    const { collectDoctor } = await import('../control/kernel/doctor');
    const report = collectDoctor({ backend: control.info });
    if (control.info.kind !== 'emulator') return report;
    const parameters = await control.parameters().catch((): ModuleParameters => ({}));
    const v = control.info.version;
    report.modules.push({ name: 'emulator', loaded: true, version: `${v.major}.${v.minor}.${v.revision}.${v.build}`, parameters });
    report.reasons.unshift(control.info.reason);
    return report;
  } catch {
    return basicDoctor(control);
  }
}

/** What the service can tell without the kernel doctor. */
export async function basicDoctor(control: BlksnapControl): Promise<DoctorReport> {
  const info = control.info;
  const backendParameters = await control.parameters().catch((): ModuleParameters => ({}));
  // Parameters come from the backend (control.parameters()); here only which modules are loaded.
  const modules: DoctorReport['modules'] = MODULES.map((name) => {
    const dir = `/sys/module/${name}`;
    const loaded = existsSync(dir);
    return { name, loaded, version: loaded ? readText(`${dir}/version`) : null, parameters: {} };
  });
  const nodes = NODES.map(([path, note]) => {
    const mode = nodeMode(path);
    return { path, exists: mode !== null, mode, note };
  });
  const fixes: string[] = [];
  if (info.kind === 'emulator') {
    fixes.push('To manage real devices, load the module (modprobe blksnap, or veeamblksnap with bdevfilter) and restart with --backend kernel.');
  }
  if (info.kind === 'emulator' && Object.keys(backendParameters).length > 0) {
    modules.push({ name: 'emulator', loaded: true, version: `${info.version.major}.${info.version.minor}.${info.version.revision}.${info.version.build}`, parameters: backendParameters });
  }
  return {
    kernelRelease: release(),
    modules,
    nodes,
    dialect: info.dialect,
    reasons: [info.reason],
    fixes,
    backend: info,
  };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function nodeMode(path: string): string | null {
  try {
    return (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');
  } catch {
    return null;
  }
}
