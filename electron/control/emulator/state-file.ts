// state.json: everything except device data, CBT maps and COW journals, which have files of
// their own. Replaced atomically (a new 0600 temporary file, fsync, rename; never through a
// symlink) on control operations, never per write.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readStateFileSync, writeStateFileSync } from '../../app/stateFiles';
import type { ModuleParameters } from '../../../shared/schemas';
import type { DeviceFlags } from './device';
import type { Flavour } from './flavours';
import type { SnapshotRecord } from './snapshot';

export const STATE_FILE = 'state.json';
const FORMAT = 1;

export interface DeviceRecord {
  name: string;
  minor: number;
  capacitySectors: number;
  flags: DeviceFlags;
  /** The tracker's id, or null when untracked (its map is cbt/<name>.cbt). */
  trackerId: number | null;
}

export interface StateFile {
  format: number;
  flavour: Flavour;
  hz: number;
  parameters: ModuleParameters;
  nextMinor: number;
  nextTrackerId: number;
  devices: DeviceRecord[];
  snapshots: SnapshotRecord[];
  /** Directories that held directory-mode storage (absent in older state files). */
  storageDirs?: string[];
  /** false while an owner runs: a reopen that finds false follows a crash. */
  cleanShutdown: boolean;
}

export function readStateFile(stateDir: string): StateFile | null {
  const file = path.join(stateDir, STATE_FILE);
  if (!fs.existsSync(file)) return null;
  const parsed = JSON.parse(readStateFileSync(file)) as StateFile;
  if (parsed.format !== FORMAT) throw new Error(`${file} has format ${String(parsed.format)}, expected ${FORMAT}`);
  return parsed;
}

export function writeStateFile(stateDir: string, state: Omit<StateFile, 'format'>): void {
  const file = path.join(stateDir, STATE_FILE);
  writeStateFileSync(file, JSON.stringify({ format: FORMAT, ...state }));
}
