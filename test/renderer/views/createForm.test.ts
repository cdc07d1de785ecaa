import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../../../shared/schemas';
import { offeredModes, parseLimit, validateCreateForm } from '../../../renderer/views/snapshots/createForm';

const v2: Capabilities = {
  explicitAttach: true, addAfterCreate: true, appendStorage: false, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null,
  storageModes: ['file', 'directory', 'block'], eventCodes: { 0: 'corrupted', 1: 'no_space' }, needsStretchService: false,
};
const v1: Capabilities = {
  ...v2, explicitAttach: false, addAfterCreate: false, appendStorage: true, cbtMapNeedsTakenSnapshot: true, maxSnapshots: 1,
  storageModes: ['directory'], eventCodes: { 0: 'low_free_space', 1: 'corrupted' }, needsStretchService: true,
};

describe('parseLimit', () => {
  it('accepts bytes and K/M/G/T suffixes, in sectors', () => {
    expect(parseLimit('2G')).toEqual({ ok: true, bytes: 2 * 2 ** 30, sectors: 4_194_304 });
    expect(parseLimit('512M')).toMatchObject({ ok: true, sectors: 1_048_576 });
    expect(parseLimit('64k')).toMatchObject({ ok: true, bytes: 65536 });
    expect(parseLimit('1.5G')).toMatchObject({ ok: true, bytes: 1.5 * 2 ** 30 });
    expect(parseLimit('1048576')).toMatchObject({ ok: true, sectors: 2048 });
  });

  it('refuses empty, zero, unknown units, garbage and sizes that are not whole sectors', () => {
    expect(parseLimit('')).toMatchObject({ ok: false, error: expect.stringContaining('Enter a limit') });
    expect(parseLimit('0')).toMatchObject({ ok: false, error: expect.stringContaining('greater than zero') });
    expect(parseLimit('12X')).toMatchObject({ ok: false, error: expect.stringContaining('not a size unit') });
    expect(parseLimit('two gigs')).toMatchObject({ ok: false, error: expect.stringContaining('not a size') });
    expect(parseLimit('1000')).toMatchObject({ ok: false, error: expect.stringContaining('512-byte sectors') });
    expect(parseLimit('-1G').ok).toBe(false);
  });
});

describe('validateCreateForm', () => {
  const input = { devices: ['/dev/sdb'], storageMode: 'file' as const, storagePath: '/var/tmp/diff', limitText: '1G' };

  it('builds the request a v2 dialect needs', () => {
    expect(validateCreateForm(input, v2, 0)).toEqual({
      ok: true, request: { diffStoragePath: '/var/tmp/diff', diffStorageLimitSectors: 2_097_152, devices: ['/dev/sdb'] },
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
