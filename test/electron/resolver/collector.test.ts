// The collector's arithmetic: pieces become per-file bytes, regions split what no file owns
// into free and metadata, pages come in the order asked for, directories roll up.
import { describe, expect, test } from 'vitest';
import { Collector, selectTop } from '../../../electron/resolver/collector';
import { ChangedSet, unionBytes } from '../../../electron/resolver/ranges';

describe('resolver arithmetic', () => {
  test('overlap counts only the changed part of an extent, across several ranges', () => {
    const set = new ChangedSet([0, 100, 1000], [50, 200, 1100]);
    const pieces: number[] = [];
    expect(set.overlap(40, 100, (s, l) => pieces.push(s, l))).toBe(10 + 40);
    expect(pieces).toEqual([40, 10, 100, 40]);
    expect(set.window(100, 1050).starts).toEqual(Float64Array.from([0, 900]));
    expect(unionBytes([0, 10, 5, 10, 30, 5])).toBe(20);
  });

  test('files + metadata + free add up to the incremental size; shared pieces count once', () => {
    const c = new Collector(new ChangedSet([0], [1000]));
    c.addFile({ path: '/a/x', kind: 'file', sizeBytes: 10, mtimeMs: null }, [0, 300]);
    c.addFile({ path: '/a/b/y', kind: 'file', sizeBytes: 10, mtimeMs: null }, [200, 200]);
    c.addFree(800, 100);
    c.finishRegion(0, 1000);
    expect(c.totals()).toEqual({ incrementalBytes: 1000, fileBytes: 400, metadataBytes: 500, freeBytes: 100, unresolvedBytes: 0 });
    expect(c.directories(10)).toEqual([{ path: '/a', changedBytes: 500, files: 2 }, { path: '/a/b', changedBytes: 200, files: 1 }]);
    expect(c.ownerOf(250, 100)).toEqual({ files: [{ path: '/a/x', bytes: 50 }, { path: '/a/b/y', bytes: 100 }].sort((p, q) => q.bytes - p.bytes), metadataBytes: 0, freeBytes: 0 });
  });

  test('where metadata and free space cannot be told apart, the rest stays unresolved', () => {
    const c = new Collector(new ChangedSet([0], [1000]));
    c.addFile({ path: '/x', kind: 'file', sizeBytes: 10, mtimeMs: null }, [0, 300]);
    c.finishRegion(0, 1000, false);
    expect(c.totals()).toEqual({ incrementalBytes: 1000, fileBytes: 300, metadataBytes: 0, freeBytes: 0, unresolvedBytes: 700 });
  });

  test('pages sort by any column both ways; the top selection equals a full sort', () => {
    const c = new Collector(new ChangedSet([0], [1e9]));
    for (let i = 0; i < 50; i++) c.addFile({ path: `/f${String(i).padStart(2, '0')}`, kind: 'file', sizeBytes: 1000 - i, mtimeMs: i % 7 }, [i * 1000, (i * 37) % 11 + 1]);
    const all = Array.from({ length: 50 }, (_, i) => ({ path: `/f${String(i).padStart(2, '0')}`, bytes: (i * 37) % 11 + 1 }));
    const expected = all.sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1)).slice(0, 5).map((f) => [f.path, f.bytes]);
    expect(c.page(0, 5, 'changedBytes', true).map((f) => [f.path, f.changedBytes])).toEqual(expected);
    expect(c.page(0, 3, 'path', false).map((f) => f.path)).toEqual(['/f00', '/f01', '/f02']);
    expect(c.page(48, 5, 'sizeBytes', true).map((f) => f.sizeBytes)).toEqual([952, 951]);
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 263);
    expect(selectTop(values, 20, (a, b) => b - a)).toEqual([...values].sort((a, b) => b - a).slice(0, 20));
  });
});
