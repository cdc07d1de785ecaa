// The support bundle: one JSON file with what someone helping needs (doctor, backend,
// parameters, devices, snapshots, registry, events, fill, stats, runtime versions).
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiResult, AppEvent, DeviceSummary, DoctorReport, FillSample, SnapshotSummary } from '../../shared/contract';
import { toErrorInfo } from '../../shared/errors';
import type { BlksnapControl } from '../control/types';
import type { RegistryEntry } from './registry';
import type { Notices } from './notices';

/** What goes into the bundle, read when it is written. */
export interface SupportSources {
  control: BlksnapControl;
  notices: Notices;
  doctor(): Promise<DoctorReport>;
  devices(): DeviceSummary[];
  snapshots(): SnapshotSummary[];
  registry(): RegistryEntry[];
  events(): AppEvent[];
  fill(): Record<string, FillSample[]>;
  stats(): unknown;
}

/** Writes the bundle into `dataDir` (the temp dir when null), readable by its owner only. */
export async function writeSupportBundle(dataDir: string | null, from: SupportSources): Promise<ApiResult<'supportBundle'>> {
  const dir = dataDir ?? tmpdir();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `blksnap-support-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const bundle = {
    createdAt: new Date().toISOString(),
    doctor: await from.doctor().catch((err: unknown) => ({ error: toErrorInfo(err) })),
    backend: from.control.info,
    parameters: await from.control.parameters().catch((err: unknown) => ({ error: toErrorInfo(err) })),
    devices: from.devices(),
    snapshots: from.snapshots(),
    registry: from.registry(),
    events: from.events(),
    fill: from.fill(),
    stats: from.stats(),
    runtime: { versions: process.versions, platform: process.platform, arch: process.arch },
  };
  await writeFile(path, JSON.stringify(bundle, null, 2), { mode: 0o600 });
  from.notices.app('info', 'support', `Support bundle written to ${path}`, {});
  return { path };
}
