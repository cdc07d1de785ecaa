// Reopening a state directory: devices, trackers with their maps, snapshots with their storage
// and COW journals; stray files of a crash are removed and every repair is noted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CbtMap } from './cbt-map';
import { CowLog } from './cow-log';
import { EmulatedDevice, SECTOR } from './device';
import { DiffStorage, type StorageTarget } from './diff-storage';
import { ownedFile, type EmulatorCore } from './core';
import { dirStoragePrefix } from './storage-open';
import { Snapshot, type SnapshotRecord } from './snapshot';
import type { StateFile } from './state-file';

export function restore(core: EmulatorCore, saved: StateFile): void {
  if (!saved.cleanShutdown) {
    core.recoveryNotes.push('the state was not closed cleanly (the owner crashed or was killed); CBT maps were kept, as they mark every block a write may have reached (a map that could not be read is reset with a new generation, as the kernel does after a crash)');
  }
  core.nextMinor = saved.nextMinor;
  core.nextTrackerId = saved.nextTrackerId;
  for (const rec of saved.devices) {
    const backing = core.devicePath(rec.name);
    if (!fs.existsSync(backing)) {
      core.recoveryNotes.push(`device /dev/${rec.name} lost its backing file and was dropped`);
      continue;
    }
    const dev = EmulatedDevice.open(rec.name, rec.minor, rec.capacitySectors, rec.flags, backing);
    if (rec.trackerId !== null) {
      const map = CbtMap.open(core.mapPath(rec.name));
      if (map && map.trackerId === rec.trackerId) dev.tracker = map;
      else {
        // What the kernel does after a crash: the tracker comes back with a fresh map.
        dev.tracker = CbtMap.create(core.mapPath(rec.name), rec.trackerId, dev.capacityBytes, core.params);
        core.recoveryNotes.push(`the CBT map of /dev/${rec.name} was unreadable and was reset: new generation ${dev.tracker.generation}, take a full backup`);
      }
    }
    core.devices.set(rec.name, dev);
  }
  core.savedSnapshotIds = saved.snapshots.map((r) => r.id);
  for (const dir of saved.storageDirs ?? []) core.storageDirs.add(dir);
  removeStrayFiles(core);
  for (const rec of saved.snapshots) restoreSnapshot(core, rec);
  core.rebuildCowIndex();
}

export function removeStrayFiles(core: EmulatorCore): void {
  const keep = new Set([...core.devices.values()].flatMap((d) => EmulatedDevice.backingFiles(d.backingPath, d.capacityBytes)));
  for (const f of fs.readdirSync(path.join(core.stateDir, 'devices'))) {
    const file = path.join(core.stateDir, 'devices', f);
    if (!keep.has(file)) fs.rmSync(file, { force: true });
  }
  const logs = new Set(core.savedSnapshotIds.map((id) => `${id}.cow`));
  for (const f of fs.readdirSync(path.join(core.stateDir, 'snapshots'))) {
    if (!logs.has(f)) fs.rmSync(path.join(core.stateDir, 'snapshots', f), { force: true });
  }
  for (const f of fs.readdirSync(path.join(core.stateDir, 'cbt'))) {
    if (!core.devices.get(f.replace(/\.cbt$/, ''))?.tracker) fs.rmSync(path.join(core.stateDir, 'cbt', f), { force: true });
  }
  // Directory-mode storage of snapshots a crash lost (created, or released, half-way).
  const prefix = dirStoragePrefix(core.stateDir);
  const live = new Set(core.savedSnapshotIds.map((id) => `${prefix}${id}`));
  for (const dir of core.storageDirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of names) {
      if (f.startsWith(prefix) && !live.has(f)) {
        fs.rmSync(path.join(dir, f), { force: true });
        core.recoveryNotes.push(`removed ${path.join(dir, f)}, the storage of a snapshot lost in a crash`);
      }
    }
  }
}

export function restoreSnapshot(core: EmulatorCore, rec: SnapshotRecord): void {
  const targets = new Map<string, StorageTarget>();
  const missing: string[] = [];
  const open = (p: string): void => {
    if (targets.has(p)) return;
    const dev = core.locate(p);
    if (dev?.kind === 'device') targets.set(p, { io: dev.device, capacitySectors: dev.device.capacitySectors, owned: null });
    else if (fs.existsSync(p)) targets.set(p, ownedFile(fs.openSync(p, 'r+'), Math.floor(fs.statSync(p).size / SECTOR)));
    else missing.push(p);
  };
  if (rec.storage.path) open(rec.storage.path);
  for (const r of rec.storage.ranges) open(r.target);
  const snap = new Snapshot(rec.id, rec.createdAtMs, new DiffStorage(rec.storage, core.storagePolicy(), targets), rec.events);
  snap.state = rec.state;
  snap.taken = rec.taken;
  snap.brokenAfterSwitch = rec.brokenAfterSwitch;
  snap.members.push(...rec.members);
  snap.areas = rec.areas.map((a) => ({ ...a, chunks: new Map<number, number>() }));
  if (snap.taken && !snap.brokenAfterSwitch) {
    const { log, records, cutBytes } = CowLog.open(core.logPath(rec.id));
    snap.log = log;
    if (cutBytes > 0) core.recoveryNotes.push(`snapshot ${rec.id}: a torn journal record (${cutBytes} bytes) was cut off; its copy was never used`);
    let filled = rec.storage.filled;
    for (const r of records) {
      const area = snap.areas[r.area];
      if (!area) continue;
      area.chunks.set(r.chunk, r.storageSector);
      filled = Math.max(filled, r.storageSector + 2 ** (area.chunkShift - 9));
    }
    snap.storage.state.filled = filled;
    // Slots past the journal may hold copies written just before the crash and never journalled;
    // they are handed out again, so they no longer read as zeros: no zero-chunk skip there.
    const st = snap.storage.state;
    if (st.zeroFrom !== undefined) st.zeroFrom = Math.max(st.zeroFrom, st.requested, st.capacity);
  }
  core.snapshots.set(rec.id, snap);
  if (missing.length > 0) {
    // Not saved here: a state.json written now would lack the snapshots not yet restored.
    for (const area of snap.areas) core.corruptArea(snap, area, 'EIO', false);
    core.recoveryNotes.push(`snapshot ${rec.id}: its difference storage ${missing.join(', ')} is gone; its images fail with EIO`);
  }
}