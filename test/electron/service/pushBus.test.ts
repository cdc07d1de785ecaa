// The push bus: state topics coalesce to their latest value and replay it to a new subscriber;
// events and fill samples accumulate; one batch per interval; a failing subscriber harms no other.
import { describe, expect, it } from 'vitest';
import type { AppEvent, PushPayload } from '../../../shared/contract';
import { PushBus } from '../../../electron/service/pushBus';
import { sleep, until } from './parts';

const ev = (seq: number): AppEvent => ({ seq, timeMs: 0, source: 'app', level: 'info', kind: 'backend', snapshotId: null, device: null, message: `e${seq}`, module: null });
const fill = (id: string): PushPayload<'fill'> => ({ id, sample: { timeMs: 0, usedBytes: 1, allocatedBytes: 2, limitBytes: 3 } });

describe('push bus', () => {
  it('sends only the latest value of a state topic, and every event and fill sample, in one batch', async () => {
    const bus = new PushBus(5);
    const got: unknown[] = [];
    bus.subscribe('workloads', (p) => got.push(['workloads', p]));
    bus.subscribe('events', (p) => got.push(['events', p.map((e) => e.seq)]));
    bus.subscribe('fill', (p) => got.push(['fill', p.id]));
    bus.publish('workloads', []);
    bus.publish('events', [ev(1)]);
    bus.publish('fill', fill('a'));
    bus.publish('events', [ev(2), ev(3)]);
    bus.publish('fill', fill('b'));
    bus.publish('workloads', [{ id: 'w1', spec: {} as never, running: true, writtenBytes: 0, writes: 0, error: null }]);
    expect(got).toEqual([]);
    await until(() => got.length > 0);
    expect(got).toEqual([['workloads', [expect.objectContaining({ id: 'w1' })]], ['fill', 'a'], ['fill', 'b'], ['events', [1, 2, 3]]]);
    expect(bus.batches).toBe(1);
    bus.close();
  });

  it('replays the latest state to a new subscriber, but never old events', async () => {
    const bus = new PushBus(1);
    bus.publish('workloads', []);
    bus.publish('events', [ev(1)]);
    bus.flush();
    const workloads: unknown[] = [];
    const events: unknown[] = [];
    bus.subscribe('workloads', (p) => workloads.push(p));
    bus.subscribe('events', (p) => events.push(p));
    await until(() => workloads.length > 0);
    await sleep(10);
    expect([workloads, events]).toEqual([[[]], []]);
    expect(bus.current('workloads')).toEqual([]);
    bus.close();
  });

  it('keeps delivering when a subscriber throws, stops after unsubscribe, and drops pushes after close', () => {
    const bus = new PushBus(1000);
    const got: number[] = [];
    bus.subscribe('events', () => { throw new Error('subscriber bug'); });
    const off = bus.subscribe('events', (p) => got.push(...p.map((e) => e.seq)));
    bus.publish('events', [ev(1)]);
    bus.flush();
    off();
    bus.publish('events', [ev(2)]);
    bus.flush();
    bus.close();
    bus.publish('events', [ev(3)]);
    bus.flush();
    expect(got).toEqual([1]);
  });
});
