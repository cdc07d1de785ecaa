import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_QUEUE_LENGTH, EventWaiters } from '../../../electron/service/waiters';
import type { SnapshotEvent } from '../../../shared/schemas';
import { rejection } from './parts';

let seq = 0;
function event(snapshotId: string, kind: SnapshotEvent['kind'] = 'low_free_space'): SnapshotEvent {
  seq += 1;
  return { snapshotId, kind, code: 2, timeLabelNs: String(seq), device: null, errCode: null, requestedSectors: seq };
}

const LIVE = '00000000-0000-4000-8000-00000000000a';
const GONE = '00000000-0000-4000-8000-00000000000b';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('event waiters and queues', () => {
  it('hands an event to the caller already waiting, else queues it oldest first per snapshot', async () => {
    const w = new EventWaiters();
    const waiting = w.wait('a', 1000);
    const first = event('a');
    w.deliver(first);
    expect(await waiting).toBe(first);
    const second = event('a');
    const third = event('a');
    const other = event('b');
    for (const e of [second, other, third]) w.deliver(e);
    expect([w.take('a'), w.take('a'), w.take('a')]).toEqual([second, third, undefined]);
    expect(w.take('b')).toEqual(other);
  });

  it('keeps at most EVENT_QUEUE_LENGTH events of a snapshot, dropping the oldest', () => {
    const w = new EventWaiters();
    const all = Array.from({ length: EVENT_QUEUE_LENGTH + 2 }, () => event('a'));
    for (const e of all) w.deliver(e);
    expect(w.take('a')).toEqual(all[2]);
  });

  it('answers null on timeout and when the caller aborts', async () => {
    const w = new EventWaiters();
    expect(await w.wait('a', 5)).toBeNull();
    const abort = new AbortController();
    const waiting = w.wait('a', 60_000, abort.signal);
    abort.abort();
    expect(await waiting).toBeNull();
    // The aborted caller is gone: the next event is queued, not swallowed.
    const next = event('a');
    w.deliver(next);
    expect(w.take('a')).toEqual(next);
  });

  it('fails the waiters of a forgotten snapshot with ESRCH and drops its queue', async () => {
    const w = new EventWaiters();
    w.deliver(event('a'));
    w.take('a');
    w.deliver(event('a'));
    const waiting = w.wait('a', 60_000);
    w.forget('a');
    // The queued one was not handed to the waiter (a waiter only comes after the queue is empty).
    expect((await rejection(waiting)).code).toBe('ESRCH');
    expect(w.take('a')).toBeUndefined();
  });

  it('releases every waiter with null when the service closes', async () => {
    const w = new EventWaiters();
    const both = Promise.all([w.wait('a', 60_000), w.wait('b', 60_000)]);
    w.releaseAll();
    expect(await both).toEqual([null, null]);
  });

  it('with a state directory, leaves undelivered events to the next process, for live snapshots only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'blksnap-waiters-'));
    dirs.push(dir);
    const before = new EventWaiters(dir);
    const kept = event(LIVE);
    before.deliver(kept);
    before.deliver(event(GONE));
    const after = new EventWaiters(dir);
    after.keepOnly([LIVE]);
    expect(after.take(GONE)).toBeUndefined();
    expect(after.take(LIVE)).toEqual(kept);
    expect(new EventWaiters(dir).take(LIVE)).toBeUndefined();
  });
});
