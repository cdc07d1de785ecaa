import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSupportBundle } from '../../../electron/service/support';
import { appError } from '../../../shared/errors';
import { FakeControl } from './fakeControl';
import { busAndNotices } from './parts';

describe('support bundle', () => {
  it('writes one owner-only JSON file with every section; a failing doctor is recorded, not thrown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blksnap-support-'));
    try {
      const { notices } = busAndNotices();
      notices.app('info', 'snapshot', 'something happened', {});
      const { path } = await writeSupportBundle(dir, {
        control: new FakeControl('kernel'),
        notices,
        doctor: async () => { throw appError('EBACKEND', 'doctor could not run'); },
        devices: () => [],
        snapshots: () => [],
        registry: () => [],
        events: () => notices.list(),
        fill: () => ({ s1: [{ timeMs: 1, usedBytes: 512, allocatedBytes: null, limitBytes: null }] }),
        stats: () => ({ pumps: 0 }),
      });
      expect(path.startsWith(dir)).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const bundle = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      expect(Object.keys(bundle)).toEqual(expect.arrayContaining(['createdAt', 'doctor', 'backend', 'parameters', 'devices', 'snapshots', 'registry', 'events', 'fill', 'stats', 'runtime']));
      expect(bundle.doctor).toMatchObject({ error: { code: 'EBACKEND', message: 'doctor could not run' } });
      expect(bundle.fill).toMatchObject({ s1: [{ usedBytes: 512 }] });
      expect(notices.list().at(-1)!.message).toContain(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
