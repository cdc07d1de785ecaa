// The Backend panel's difference-storage lines: the module's storage kinds per dialect (spec
// §0.2) beside what this app creates, the two kept apart where they differ (VAL range mode).
import { describe, expect, it } from 'vitest';
import { FLAVOUR_RULES } from '../../../electron/control/emulator/flavours';
import { val70 } from '../../../electron/control/kernel/dialects/val-7.0/index';
import { offeredModes } from '../../../renderer/views/snapshots/createForm';
import { storageSupport } from '../../../renderer/views/backend/storageSupport';

describe('storageSupport', () => {
  it('on VAL-7.0 says the module takes range mode but the app does not offer it, and why', () => {
    for (const capabilities of [val70.capabilities, FLAVOUR_RULES['val-7.0'].capabilities, FLAVOUR_RULES['val-13'].capabilities]) {
      const s = storageSupport(capabilities);
      expect(s.module).toMatch(/^The module takes an existing file, a directory \(an unnamed file in it\), a block device or sector ranges .*range mode, APPEND_STORAGE/);
      expect(s.app).toMatch(/^This app creates snapshots with a directory, an existing file or a block device;/);
      expect(s.app).not.toMatch(/range/);
      expect(s.notOffered).toMatch(/^Range mode is not offered: nothing in this app answers .*low_free_space.*overflow at its first copy-on-write/);
      // The same modes as the create form offers.
      expect(offeredModes(capabilities)).toEqual(['directory', 'file', 'block']);
    }
  });

  it('where the module takes paths only (lk6.15, v7, v6), module and app agree and nothing is left out', () => {
    for (const flavour of ['upstream', 'v7', 'v6'] as const) {
      const s = storageSupport(FLAVOUR_RULES[flavour].capabilities);
      expect(s.module).toBe('The module takes an existing file, a directory (an unnamed file in it) or a block device.');
      expect(s.notOffered).toBeNull();
    }
  });

  it('on v1 says the module takes only ranges and the stretch service makes them from files in a directory', () => {
    const s = storageSupport(FLAVOUR_RULES.v1.capabilities);
    expect(s.module).toMatch(/^The module takes sector ranges that user space appends/);
    expect(s.app).toMatch(/stretch service creates storage files there/);
    expect(s.notOffered).toBeNull();
  });
});
