import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../../../shared/schemas';
import { offeredModes, validateCreateForm } from '../../../renderer/views/snapshots/createForm';

const v2: Capabilities = {
  explicitAttach: true, addAfterCreate: true, appendStorage: false, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null,
  storageModes: ['file', 'directory', 'block'], eventCodes: { 0: 'corrupted', 1: 'no_space' }, needsStretchService: false,
};
const v1: Capabilities = {
  ...v2, explicitAttach: false, addAfterCreate: false, appendStorage: true, cbtMapNeedsTakenSnapshot: true, maxSnapshots: 1,
  storageModes: ['directory'], eventCodes: { 0: 'low_free_space', 1: 'corrupted' }, needsStretchService: true,
};

describe('validateCreateForm', () => {
  const input = { devices: ['/dev/sdb'], storageMode: 'file' as const, storagePath: '/var/tmp/diff', limitText: '1G' };

  it('builds the request a v2 dialect needs', () => {
    expect(validateCreateForm(input, v2, 0)).toEqual({
      ok: true, request: { diffStoragePath: '/var/tmp/diff', diffStorageLimitSectors: 2_097_152, devices: ['/dev/sdb'] }, limitWarning: null,
    });
    expect(validateCreateForm({ ...input, devices: [] }, v2, 3).ok).toBe(true);
  });

  it('names every field that is wrong', () => {
    const result = validateCreateForm({ ...input, storagePath: 'relative/path', limitText: '3Q' }, v2, 0);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['limit', 'storagePath']);
    expect(validateCreateForm({ ...input, storagePath: ' ' }, v2, 0)).toMatchObject({ ok: false, errors: { storagePath: expect.stringContaining('Enter the path') } });
  });

  it('on v1 asks for a directory, requires devices and allows one snapshot at a time', () => {
    expect(offeredModes(v1)).toEqual(['directory']);
    expect(validateCreateForm({ ...input, storageMode: 'directory', devices: [] }, v1, 0)).toMatchObject({ ok: false, errors: { devices: expect.stringContaining('at least one device') } });
    expect(validateCreateForm({ ...input, storageMode: 'directory' }, v1, 1)).toMatchObject({ ok: false, errors: { form: expect.stringContaining('at most 1 snapshot') } });
    expect(validateCreateForm({ ...input, storageMode: 'directory', storagePath: '' }, v1, 0)).toMatchObject({ ok: false, errors: { storagePath: expect.stringContaining('directory') } });
  });

  it('refuses a limit that cannot hold one chunk and warns up front below diff_storage_minimum, as blksnapctl does', () => {
    expect(validateCreateForm({ ...input, limitText: '1K' }, v2, 0)).toMatchObject({ ok: false, errors: { limit: expect.stringContaining('smallest limit that works is 2.25 MiB') } });
    expect(validateCreateForm({ ...input, limitText: '64M' }, v2, 0)).toMatchObject({ ok: true, limitWarning: expect.stringContaining('no_space at the first copy') });
    expect(validateCreateForm({ ...input, storageMode: 'directory', limitText: '64M' }, v1, 0)).toMatchObject({ ok: true, limitWarning: expect.stringContaining('A limit of 1 GiB or more') });
    // A block device is the storage itself: only the sign of the limit matters.
    expect(validateCreateForm({ ...input, storageMode: 'block', storagePath: '/dev/sdc', limitText: '1K' }, v2, 0)).toMatchObject({ ok: true, limitWarning: null });
  });

  it('sends no path in plain range mode', () => {
    const ranges = { ...v2, storageModes: ['ranges' as const] };
    expect(validateCreateForm({ ...input, storageMode: 'ranges', storagePath: '' }, ranges, 0)).toMatchObject({ ok: true, request: { diffStoragePath: null } });
  });

  it('on v1 range storage (as both backends report it) asks for the stretch service\'s directory and sends it', () => {
    const v1Ranges = { ...v1, storageModes: ['ranges' as const], needsStretchService: true };
    expect(offeredModes(v1Ranges)).toEqual(['ranges']);
    expect(validateCreateForm({ ...input, storageMode: 'ranges', storagePath: '' }, v1Ranges, 0)).toMatchObject({ ok: false, errors: { storagePath: expect.stringContaining('directory') } });
    expect(validateCreateForm({ ...input, storageMode: 'ranges', storagePath: '/var/tmp/stretch' }, v1Ranges, 0))
      .toMatchObject({ ok: true, request: { diffStoragePath: '/var/tmp/stretch', devices: ['/dev/sdb'] } });
  });

  it('does not offer range mode beside path modes (VAL-7.0): nothing in the app would answer its requests', () => {
    const val70 = { ...v2, storageModes: ['file' as const, 'directory' as const, 'ranges' as const], needsStretchService: true };
    expect(offeredModes(val70)).toEqual(['directory', 'file']);
  });
});
