// SNAPSHOT_TAKE (the module's snapshot_take): chunk sizes, the CBT switch, the difference areas
// and images, and the failures of each dialect (v1 destroys the snapshot on a failed take).
import { appError, errnoError, type BlksnapError, type ErrnoName } from '../../../shared/errors';
import type { EmulatorCore } from './core';
import { CowLog } from './cow-log';
import { DEVICE_MAJOR, SECTOR, type EmulatedDevice } from './device';
import { imageName } from './flavours';
import { chunkShift } from './parameters';

export function takeSnapshot(core: EmulatorCore, id: string): void {
  const op = 'SNAPSHOT_TAKE';
  const snap = core.listed(op, id);
  if (snap.taken) throw errnoError('EALREADY', op, `snapshot ${id} is already taken${snap.brokenAfterSwitch ? ' (a failed take left it so; only DESTROY helps)' : ''}`, { snapshotId: id });
  if (snap.members.length === 0) throw errnoError('ENODEV', op, `snapshot ${id} has no device; add one first`, { snapshotId: id });
  const v1 = core.flavour === 'v1';
  const fail = (code: ErrnoName, meaning: string): BlksnapError => {
    if (v1) core.release(snap); // v1: a failed take destroys the snapshot
    else core.saveState();
    return errnoError(code, op, v1 ? `${meaning}; v1 destroyed the snapshot` : meaning, { snapshotId: id });
  };
  if (core.faults.delete('take-enomem')) throw fail('ENOMEM', 'out of memory before any CBT switch (injected); the take may be retried');
  if (v1 && core.clientGuards && snap.storage.state.capacity === 0) {
    throw appError('EGUARD', `snapshot ${id} has no difference storage yet: v1 TAKE would fail (EFAULT) and destroy the snapshot. Answer its first low_free_space event with storage (the stretch service does) before taking it.`, { snapshotId: id });
  }
  if (v1 && snap.storage.state.capacity === 0) throw fail('EFAULT', `no difference storage was appended to ${id} before TAKE`);
  const plans: { dev: EmulatedDevice; shift: number }[] = [];
  for (const m of snap.members) {
    const dev = core.devices.get(m.device) as EmulatedDevice;
    const capacityBytes = dev.tracker?.trackerId === m.trackerId ? dev.capacityBytes : dev.capacityBytes;
    const shift = chunkShift(core.rules.chunkRule, capacityBytes, dev.flags.minIoBytes, core.params);
    if (shift === null) throw fail('EFAULT', `the chunk size for ${dev.path} would exceed chunk_maximum_shift`);
    plans.push({ dev, shift });
  }
  for (const { dev } of plans) {
    const map = dev.tracker;
    if (map && snap.members.some((m) => m.device === dev.name && m.trackerId === map.trackerId)) {
      if (map.switchAtTake(dev.capacityBytes, core.params, core.rules.copyBeforeIncrement)) {
        core.recoveryNotes.push(`CBT of ${dev.path} reset at take (capacity changed or map corrupted): new generation ${map.generation}`);
      }
    }
  }
  snap.taken = true;
  if (core.faults.delete('take-after-switch')) {
    snap.brokenAfterSwitch = true;
    throw fail('EFAULT', `an area of ${id} went corrupted right after the CBT switch (injected); the snapshot stays marked taken`);
  }
  const usedMinors = new Set([...core.snapshots.values()].flatMap((s) => s.areas.map((a) => a.imageMinor)));
  snap.areas = plans.map(({ dev, shift }) => {
    let imageMinor = 0;
    while (usedMinors.has(imageMinor)) imageMinor += 1;
    usedMinors.add(imageMinor);
    const member = snap.members.find((m) => m.device === dev.name) as { trackerId: number };
    return {
      device: dev.name, trackerId: member.trackerId, chunkShift: shift, chunks: new Map<number, number>(), errorCode: 0,
      imageName: imageName(core.flavour, DEVICE_MAJOR, dev.minor, imageMinor), imageMinor,
      capacitySectors: dev.tracker?.trackerId === member.trackerId ? dev.tracker.capacityBytes / SECTOR : dev.capacitySectors,
    };
  });
  snap.log = CowLog.create(core.logPath(id));
  core.rebuildCowIndex();
  core.saveState();
}
