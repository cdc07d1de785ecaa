// Fill histories on disk: what is saved is loaded back; a missing, unreadable or foreign file is
// an empty history, never a failed start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FILL_HISTORY_FILE, FillStore } from '../../../electron/service/fillStore';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnap-fillstore-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('fill store', () => {
  it('loads back what it saved', () => {
    const snapshots = { a: [{ timeMs: 1, usedBytes: 512, allocatedBytes: 1024, limitBytes: 2048 }], b: [] };
    new FillStore(dir).save(snapshots);
    expect(new FillStore(dir).load()).toEqual(snapshots);
  });

  it('loads an empty history from a missing, unreadable or foreign file', () => {
    expect(new FillStore(dir).load()).toEqual({});
    writeFileSync(join(dir, FILL_HISTORY_FILE), 'not json', { mode: 0o600 });
    expect(new FillStore(dir).load()).toEqual({});
    writeFileSync(join(dir, FILL_HISTORY_FILE), '{"version":2,"snapshots":{"a":[{"when":1}]}}', { mode: 0o600 });
    expect(new FillStore(dir).load()).toEqual({});
  });
});
