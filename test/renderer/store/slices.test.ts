import { describe, expect, it } from 'vitest';
import type { AppEvent, DeviceSummary, FillSample } from '../../../shared/contract';
import { createAppStore } from '../../../renderer/store';
import { FILL_HISTORY_LIMIT } from '../../../renderer/store/snapshotsSlice';
import { parseHash, routeHash } from '../../../renderer/store/route';

const GEN_A = '11111111-1111-4111-8111-111111111111';
const GEN_B = '22222222-2222-4222-8222-222222222222';

function device(path: string, generationId: string | null): DeviceSummary {
  return {
    path, name: path.slice(5), devId: { major: 8, minor: 0 }, capacitySectors: 2048, tracked: generationId !== null, discovery: 'emulator',
    cbt: generationId ? { deviceCapacityBytes: 2048 * 512, blockSizeBytes: 65536, blockCount: 16, generationId, changesNumber: 1 } : null,
    snapshotId: null, snapshot: null, emulated: true,
  };
}

function event(seq: number, extra: Partial<AppEvent> = {}): AppEvent {
  return { seq, timeMs: 1000 + seq, source: 'module', level: 'info', kind: 'low_free_space', snapshotId: null, device: null, message: `e${seq}`, module: null, ...extra };
}

describe('devices slice', () => {
  it('replaces the device list and calls out a generation change once seen', () => {
    const store = createAppStore();
    store.getState().setDevices([device('/dev/sda', GEN_A), device('/dev/sdb', null)], 10);
    expect(store.getState().devicesLoaded).toBe(true);
    expect(store.getState().generations['/dev/sda']).toEqual({ firstSeen: GEN_A, current: GEN_A, changedAtMs: null, previous: null });
    store.getState().setDevices([device('/dev/sda', GEN_B)], 20);
    expect(store.getState().generations['/dev/sda']).toEqual({ firstSeen: GEN_A, current: GEN_B, changedAtMs: 20, previous: GEN_A });
    store.getState().acknowledgeGeneration('/dev/sda');
    expect(store.getState().generations['/dev/sda']!.changedAtMs).toBeNull();
  });

  it('keeps the generations object when nothing changed, so selectors do not re-render', () => {
    const store = createAppStore();
    store.getState().setDevices([device('/dev/sda', GEN_A)]);
    const before = store.getState().generations;
    store.getState().setDevices([device('/dev/sda', GEN_A)]);
    expect(store.getState().generations).toBe(before);
  });
});

describe('events slice', () => {
  it('appends batches once per seq and bounds the buffer', () => {
    const store = createAppStore({ eventCapacity: 4 });
    store.getState().appendEvents([event(0), event(1), event(2)]);
    store.getState().appendEvents([event(1), event(2), event(3), event(4)]);
    const { eventLog, eventsTotal, lastEventSeq } = store.getState();
    expect(eventsTotal).toBe(5);
    expect(lastEventSeq).toBe(4);
    expect(eventLog.slice().map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('keeps receiving while paused and shows everything after resume', () => {
    const store = createAppStore();
    store.getState().appendEvents([event(0), event(1)]);
    store.getState().pauseEvents();
    store.getState().appendEvents([event(2), event(3)]);
    expect(store.getState().eventsPausedAt).toBe(2);
    expect(store.getState().eventsTotal).toBe(4);
    store.getState().resumeEvents();
    expect(store.getState().eventsPausedAt).toBeNull();
    expect(store.getState().eventLog.slice().map((e) => e.seq)).toEqual([0, 1, 2, 3]);
  });
});

describe('event filter facets', () => {
  const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

  it('offers the values of the held events only, sorted, and drops a value with its last event', () => {
    const store = createAppStore({ eventCapacity: 3 });
    store.getState().appendEvents([event(0, { kind: 'write', snapshotId: ID(2) }), event(1, { kind: 'corrupted', snapshotId: ID(1) }), event(2, { kind: 'write' })]);
    const facets = store.getState().eventFacets;
    expect(facets.values('kinds')).toEqual(['module:corrupted', 'module:write']);
    expect(facets.values('snapshotIds')).toEqual([ID(1), ID(2)]);
    const version = store.getState().eventFacetsVersion;
    // Two more push out seq 0 (write, ID 2) and seq 1 (corrupted, ID 1).
    store.getState().appendEvents([event(3, { kind: 'write' }), event(4, { kind: 'write', snapshotId: ID(1) })]);
    expect(facets.values('kinds')).toEqual(['module:write']);
    expect(facets.values('snapshotIds')).toEqual([ID(1)]);
    expect(store.getState().eventFacetsVersion).not.toBe(version);
  });

  it('keeps the same arrays and version while no value appears or goes', () => {
    const store = createAppStore({ eventCapacity: 2 });
    store.getState().appendEvents([event(0, { kind: 'write' }), event(1, { kind: 'write' })]);
    const kinds = store.getState().eventFacets.values('kinds');
    const version = store.getState().eventFacetsVersion;
    store.getState().appendEvents([event(2, { kind: 'write' }), event(3, { kind: 'write' })]);
    expect(store.getState().eventFacetsVersion).toBe(version);
    expect(store.getState().eventFacets.values('kinds')).toBe(kinds);
  });

  it('counts only the tail of a batch larger than the ring, and empties on clear', () => {
    const store = createAppStore({ eventCapacity: 2 });
    store.getState().appendEvents([event(0, { kind: 'a' }), event(1, { kind: 'b' }), event(2, { kind: 'c', device: '/dev/vda' }), event(3, { kind: 'c' })]);
    expect(store.getState().eventFacets.values('kinds')).toEqual(['module:c']);
    expect(store.getState().eventFacets.size('devices')).toBe(1);
    store.getState().clearEvents();
    expect(store.getState().eventFacets.values('kinds')).toEqual([]);
  });
});

describe('snapshots slice', () => {
  const sample = (timeMs: number): FillSample => ({ timeMs, usedBytes: timeMs, allocatedBytes: null, limitBytes: null });

  it('appends fill samples in time order and bounds the history', () => {
    const store = createAppStore();
    for (let t = 0; t < FILL_HISTORY_LIMIT + 10; t++) store.getState().appendFill('s1', sample(t));
    store.getState().appendFill('s1', sample(5));
    const history = store.getState().fillHistory['s1']!;
    expect(history).toHaveLength(FILL_HISTORY_LIMIT);
    expect(history[0]!.timeMs).toBe(10);
    expect(history.at(-1)!.timeMs).toBe(FILL_HISTORY_LIMIT + 9);
  });

  it('merges a loaded history with samples pushed meanwhile and forgets destroyed snapshots', () => {
    const store = createAppStore();
    store.getState().appendFill('s1', sample(50));
    store.getState().setFillHistory('s1', [sample(10), sample(20)]);
    expect(store.getState().fillHistory['s1']!.map((s) => s.timeMs)).toEqual([10, 20, 50]);
    store.getState().setSnapshots([]);
    expect(store.getState().fillHistory['s1']).toBeUndefined();
  });
});

describe('routes', () => {
  it('round-trips every view through the URL hash', () => {
    for (const route of [{ view: 'devices' }, { view: 'device', path: '/dev/mapper/vg-root' }, { view: 'snapshots' }, { view: 'events' }, { view: 'backend' }] as const) {
      expect(parseHash(routeHash(route))).toEqual(route);
    }
    expect(parseHash('#/nonsense')).toEqual({ view: 'devices' });
  });
});
