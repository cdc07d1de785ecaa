// Fill histories on disk: what is saved is loaded back; a missing, unreadable or foreign file is
// an empty history, never a failed start.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirEach } from '../../tempDir';
import { FILL_HISTORY_FILE, FillStore } from '../../../electron/service/fillStore';

const tmp = tempDirEach('blksnap-fillstore-');

describe('fill store', () => {
  it('loads back what it saved', () => {
    const snapshots = { a: [{ timeMs: 1, usedBytes: 512, allocatedBytes: 1024, limitBytes: 2048 }], b: [] };
    new FillStore(tmp()).save(snapshots);
    expect(new FillStore(tmp()).load()).toEqual(snapshots);
  });

  it('loads an empty history from a missing, unreadable or foreign file', () => {
    expect(new FillStore(tmp()).load()).toEqual({});
    writeFileSync(join(tmp(), FILL_HISTORY_FILE), 'not json', { mode: 0o600 });
    expect(new FillStore(tmp()).load()).toEqual({});
    writeFileSync(join(tmp(), FILL_HISTORY_FILE), '{"version":2,"snapshots":{"a":[{"when":1}]}}', { mode: 0o600 });
    expect(new FillStore(tmp()).load()).toEqual({});
  });
});
