// Item 6 of issue 13: arguments are refused, not trimmed: an unknown (misspelled) field, null
// arguments, a "__proto__" key; and workloadStart on a missing device is refused up front.
import { describe, expect, it } from 'vitest';
import { callValidated, createService } from '../../electron/service';
import { FakeControl } from '../electron/service/fakeControl';

describe('strict arguments', () => {
  const control = new FakeControl();
  control.addDevice('vda', 2 ** 20, true);

  it('refuses a misspelled field instead of dropping it, at any depth', async () => {
    const service = createService(control, { dataDir: null, pollIntervalMs: 1000 });
    try {
      const detach = await callValidated(service, 'detach', { device: '/dev/vda', forse: true });
      expect(detach).toMatchObject({ ok: false, error: { code: 'EBADARG', details: { field: 'forse' } } });
      const mark = await callValidated(service, 'markDirty', { device: '/dev/vda', ranges: [{ offsetSectors: 0, countSectors: 1, extra: 1 }] });
      expect(mark).toMatchObject({ ok: false, error: { details: { field: 'ranges.0.extra' } } });
      const proto = await callValidated(service, 'listDevices', JSON.parse('{"__proto__":{"polluted":true}}'));
      expect(proto).toMatchObject({ ok: false, error: { code: 'EBADARG' } });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await callValidated(service, 'detach', { device: '/dev/vda' })).toMatchObject({ ok: true });
    } finally {
      await service.close();
    }
  });

  it('refuses null arguments (no arguments are {})', async () => {
    const service = createService(control, { dataDir: null, pollIntervalMs: 1000 });
    try {
      expect(await callValidated(service, 'listDevices', null)).toMatchObject({ ok: false, error: { code: 'EBADARG', message: /not null/ } });
      expect(await callValidated(service, 'listDevices', {})).toMatchObject({ ok: true });
    } finally {
      await service.close();
    }
  });

  it('refuses workloadStart on a missing device up front instead of answering running: true', async () => {
    const service = createService(new FakeControl(), { dataDir: null, pollIntervalMs: 1000 });
    try {
      const outcome = await callValidated(service, 'workloadStart', { device: '/dev/nope', pattern: 'uniform', blockSizeBytes: 4096, rateBytesPerSec: 0, durationMs: 100 });
      expect(outcome).toMatchObject({ ok: false, error: { code: 'EBADARG', details: { field: 'device' } } });
    } finally {
      await service.close();
    }
  });
});
