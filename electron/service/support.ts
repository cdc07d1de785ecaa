// The support bundle: one JSON file with what someone helping needs (doctor, backend,
// parameters, devices, snapshots, registry, events, fill, stats, runtime versions).
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiResult, AppEvent, DeviceSummary, DoctorReport, FillSample, SnapshotSummary } from '../../shared/contract';
import { toErrorInfo } from '../../shared/errors';
import type { BlksnapControl } from '../control/types';
import type { RegistryEntry } from './registry';
import type { Notices } from './notices';
import { writeStateFile } from '../app/stateFiles';

/** Bundles kept in the directory; older ones are deleted when a new one is written. */
export const SUPPORT_BUNDLES_KEPT = 5;
const BUNDLE_NAME = /^blksnap-support-\d{4}-\d{2}-\d{2}T[\d-]+Z\.json$/;

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
  await writeStateFile(path, JSON.stringify(bundle, null, 2));
  await rotateBundles(dir);
  from.notices.app('info', 'support', `Support bundle written to ${path}`, {});
  return { path };
}

/** Deletes all but the newest bundles: only regular files of ours with the bundle name pattern. */
async function rotateBundles(dir: string): Promise<void> {
  const uid = process.getuid?.() ?? null;
  const ours: string[] = [];
  for (const name of (await readdir(dir)).filter((n) => BUNDLE_NAME.test(n))) {
    const st = await lstat(join(dir, name)).catch(() => null);
    if (st?.isFile() && (uid === null || st.uid === uid)) ours.push(name);
  }
  // The ISO timestamp in the name sorts by time.
  for (const name of ours.sort().slice(0, Math.max(0, ours.length - SUPPORT_BUNDLES_KEPT))) await rm(join(dir, name), { force: true });
}
