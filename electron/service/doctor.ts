// Doctor and support bundle: what is known about the machine and the backend, without
// the kernel engineer's collectDoctor (injected via config.doctor where it exists).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import type { DoctorReport } from '../../shared/contract';
import type { ModuleParameters } from '../../shared/schemas';
import { FLAVOUR_RULES, FLAVOURS } from '../control/emulator/flavours';
import { isEmulator, type BlksnapControl, type EmulatorControl } from '../control/types';

const NODES: ReadonlyArray<[string, string]> = [
  ['/dev/blksnap-control', 'upstream control node (v6, v7/lk6.9, lk6.15)'],
  ['/dev/veeamblksnap', 'Veeam control node (v1 6.1+, VAL-7.0, VAL-13)'],
  ['/dev/bdevfilter', 'standalone filter node (VAL-7.0, VAL-13)'],
  ['/dev/blksnap', 'v1 6.0 control node'],
];
const MODULES = ['blksnap', 'veeamblksnap', 'bdevfilter'] as const;

/**
 * The kernel engineer's doctor (files, modules, nodes, a side-effect-free probe), unchanged on the
 * kernel backend; on the emulator it adds the emulator's row (flavour, state folder, HZ,
 * parameters). The basic report where the kernel doctor cannot run here.
 */
export async function defaultDoctor(control: BlksnapControl): Promise<DoctorReport> {
  let report: DoctorReport;
  try {
    const { collectDoctor } = await import('../control/kernel/doctor');
    report = collectDoctor({ backend: control.info });
  } catch {
    return basicDoctor(control);
  }
  if (isEmulator(control)) report.modules.push(await emulatorRow(control));
  return report;
}

/** The emulator as a module row: what it emulates, where its state lives, its parameters (they decide limits as the module's do). */
export async function emulatorRow(control: EmulatorControl): Promise<DoctorReport['modules'][number]> {
  const info = control.info;
  const parameters = await control.parameters().catch((): ModuleParameters => ({}));
  const flavour = FLAVOURS.find((f) => FLAVOUR_RULES[f].dialect === info.dialect);
  const v = info.version;
  const note = [
    // "upstream lk6.15 (emulated)" → "upstream lk6.15" (the backend line says emulated, and unverified where it is).
    `emulates ${info.dialectLabel.replace(/ \(emulated[^)]*\)$/, '')}${flavour ? ` (--emulate ${flavour})` : ''}`,
    `state folder ${info.stateDir ?? 'none'}`,
    `HZ ${control.hz}`,
  ].join('; ');
  return { name: 'emulator', loaded: true, version: `${v.major}.${v.minor}.${v.revision}.${v.build}`, parameters, note };
}

/** What the service can tell without the kernel doctor. */
export async function basicDoctor(control: BlksnapControl): Promise<DoctorReport> {
  const info = control.info;
  // The kernel modules' parameters need the kernel doctor; here only which modules are loaded.
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
  if (isEmulator(control)) modules.push(await emulatorRow(control));
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
