import { describe, expect, it } from 'vitest';
import { validateDeviceForm, validateWorkloadForm } from '../../../renderer/views/backend/emulatorForms';
import { byteTicks } from '../../../renderer/views/snapshots/FillChart';

describe('emulator forms', () => {
  it('checks a new device name and size', () => {
    expect(validateDeviceForm('disk1', '1G')).toEqual({ ok: true, value: { name: 'disk1', sizeBytes: 2 ** 30 } });
    expect(validateDeviceForm('Disk 1', '1G')).toMatchObject({ ok: false, errors: { name: expect.any(String) } });
    expect(validateDeviceForm('disk1', '1000')).toMatchObject({ ok: false, errors: { size: expect.stringContaining('512-byte') } });
  });

  it('turns the workload form into a WorkloadSpec', () => {
    expect(validateWorkloadForm({ device: '/dev/emu0', pattern: 'uniform', blockSizeText: '64K', rateText: '8M', durationText: '2.5' })).toEqual({
      ok: true, value: { device: '/dev/emu0', pattern: 'uniform', blockSizeBytes: 65536, rateBytesPerSec: 8 * 2 ** 20, durationMs: 2500 },
    });
    const bad = validateWorkloadForm({ device: '', pattern: 'uniform', blockSizeText: '100', rateText: 'fast', durationText: '0' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['blockSize', 'device', 'duration', 'rate']);
  });
});

describe('byteTicks', () => {
  it('puts chart ticks on round binary sizes covering the largest value', () => {
    expect(byteTicks(2 * 2 ** 30)).toEqual([0, 2 ** 29, 2 ** 30, 1.5 * 2 ** 30, 2 * 2 ** 30]);
    expect(byteTicks(0)).toEqual([0]);
  });
});
