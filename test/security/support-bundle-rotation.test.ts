// Item 6 of issue 13: support bundles are rotated (only our own, by name) and written 0600.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createService } from '../../electron/service';
import { SUPPORT_BUNDLES_KEPT } from '../../electron/service/support';
import { FakeControl } from '../electron/service/fakeControl';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('support bundle rotation', () => {
  it(`keeps the newest ${SUPPORT_BUNDLES_KEPT} bundles, 0600, and touches no other file`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-bundles-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'blksnap-support-notes.txt'), 'mine');
    fs.mkdirSync(path.join(dir, 'blksnap-support-2000-01-01T00-00-00-000Z.json'));
    const service = createService(new FakeControl(), { dataDir: dir, pollIntervalMs: 1000 });
    try {
      const paths: string[] = [];
      for (let i = 0; i < SUPPORT_BUNDLES_KEPT + 3; i++) {
        paths.push((await service.supportBundle({})).path);
        await new Promise((r) => setTimeout(r, 5));
      }
      const left = fs.readdirSync(dir).filter((n) => n.endsWith('.json') && fs.statSync(path.join(dir, n)).isFile());
      expect(left.sort()).toEqual(paths.slice(-SUPPORT_BUNDLES_KEPT).map((p) => path.basename(p)).sort());
      for (const n of left) expect(fs.statSync(path.join(dir, n)).mode & 0o077).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'blksnap-support-notes.txt'), 'utf8')).toBe('mine');
      expect(fs.statSync(path.join(dir, 'blksnap-support-2000-01-01T00-00-00-000Z.json')).isDirectory()).toBe(true);
    } finally {
      await service.close();
    }
  });
});
