// The create-snapshot form's rules: what each dialect needs (capabilities) and the limit
// (shared/limits.ts, the same rule as blksnapctl's), all checked before anything is sent.
import type { DeviceSummary } from '../../../shared/contract';
import type { Capabilities, SnapshotCreateRequest, StorageMode } from '../../../shared/schemas';
import { limitRule, parseAndCheckLimit, parseLimit, type LimitRule } from '../../../shared/limits';

/**
 * A device a snapshot may take: in no snapshot of ours (snapshotId) nor in one another program
 * made (the module shows it in one: snapshot).
 */
export function freeForSnapshot(d: DeviceSummary): boolean {
  return !d.snapshotId && !d.snapshot;
}

export interface CreateFormInput {
  devices: string[];
  storageMode: StorageMode;
  storagePath: string;
  limitText: string;
}

export type CreateFormErrors = Partial<Record<'devices' | 'storagePath' | 'limit' | 'form', string>>;

export type CreateFormResult = { ok: true; request: SnapshotCreateRequest; limitWarning: string | null } | { ok: false; errors: CreateFormErrors };

/**
 * The limit as the create form checks it: shared/limits.ts's rule for file and directory
 * storage (and v1's stretch directory); a block device is the storage itself, so only its sign.
 */
export function checkFormLimit(text: string, mode: StorageMode, rule: LimitRule) {
  if (mode !== 'block') return parseAndCheckLimit(text, rule);
  const parsed = parseLimit(text);
  return parsed.ok ? { ...parsed, warning: null } : parsed;
}

/**
 * v1: the module only takes sector ranges, and the app's stretch service supplies them from
 * storage files it creates in a directory as the module asks (spec §6.4). The request carries
 * that directory as diffStoragePath; the service keeps it from the module.
 */
export function stretchesIntoDirectory(capabilities: Capabilities): boolean {
  return capabilities.needsStretchService && capabilities.storageModes.length === 1 && capabilities.storageModes[0] === 'ranges';
}

/**
 * Storage modes the form offers, in this order. Range mode beside path modes (VAL-7.0) is not
 * offered: nothing in the app answers its requests there, and the spec prefers path mode.
 */
export function offeredModes(capabilities: Capabilities): StorageMode[] {
  const order: StorageMode[] = ['directory', 'file', 'block', 'ranges'];
  return order.filter((m) => capabilities.storageModes.includes(m) && (m !== 'ranges' || stretchesIntoDirectory(capabilities)));
}

export function storageModeLabel(mode: StorageMode, capabilities: Capabilities): string {
  switch (mode) {
    case 'directory': return capabilities.needsStretchService ? 'Storage directory (files are added as the module asks for space)' : 'Directory (an unnamed temporary file is created in it)';
    case 'file': return 'Existing file';
    case 'block': return 'Block device';
    case 'ranges': return stretchesIntoDirectory(capabilities)
      ? 'Storage files that the app\u2019s stretch service creates in a directory (ext4 or xfs) as the module asks for space'
      : 'Sector ranges supplied by the app (no path)';
  }
}

/** Whether the mode takes a path: every mode but range mode, unless the stretch service needs its directory (v1). */
export function needsPath(mode: StorageMode, capabilities: Capabilities): boolean {
  return mode !== 'ranges' || stretchesIntoDirectory(capabilities);
}

/** A directory is asked for (not a file or device). */
export function asksForDirectory(mode: StorageMode, capabilities: Capabilities): boolean {
  return mode === 'directory' || (mode === 'ranges' && stretchesIntoDirectory(capabilities));
}

export function validateCreateForm(
  input: CreateFormInput, capabilities: Capabilities, existingSnapshots: number,
  rule: LimitRule = limitRule(null, capabilities.needsStretchService),
): CreateFormResult {
  const errors: CreateFormErrors = {};
  if (capabilities.maxSnapshots !== null && existingSnapshots >= capabilities.maxSnapshots) {
    errors.form = `This dialect holds at most ${capabilities.maxSnapshots} snapshot${capabilities.maxSnapshots === 1 ? '' : 's'} at a time (only the newest is reachable in the module): destroy the current one first.`;
  }
  if (!capabilities.addAfterCreate && input.devices.length === 0) {
    errors.devices = 'Choose at least one device: this dialect fixes the device list when the snapshot is created.';
  }
  const path = input.storagePath.trim();
  const withPath = needsPath(input.storageMode, capabilities);
  if (withPath) {
    if (path === '') errors.storagePath = asksForDirectory(input.storageMode, capabilities) ? 'Enter the directory for the difference storage.' : 'Enter the path of the difference storage.';
    else if (!path.startsWith('/')) errors.storagePath = `"${path}" is not an absolute path (it starts with /).`;
    else if (path.length > 4095) errors.storagePath = 'The path is longer than PATH_MAX (4096).';
  }
  const limit = checkFormLimit(input.limitText, input.storageMode, rule);
  if (!limit.ok) errors.limit = limit.error;
  if (Object.keys(errors).length > 0 || !limit.ok) return { ok: false, errors };
  return {
    ok: true,
    request: { diffStoragePath: withPath ? path : null, diffStorageLimitSectors: limit.sectors, devices: [...input.devices] },
    limitWarning: limit.warning,
  };
}
