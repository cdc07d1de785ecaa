import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { EventPump, PumpSet } from '../../../electron/service/pump';
import { errnoError } from '../../../shared/errors';
import type { SnapshotEvent } from '../../../shared/schemas';
import { FakeControl } from './fakeControl';
import { until } from './parts';

async function setup(count = 2) {
  const control = new FakeControl('kernel');
  control.waitSliceMs = 5;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await control.snapshotCreate({ devices: [], diffStoragePath: null, diffStorageLimitSectors: 0 }));
  let wanted: string[] = [...ids];
  const events: SnapshotEvent[] = [];
  const gone: string[] = [];
  const pumps = new PumpSet(control, 1, () => wanted, {
    onEvent: (e) => events.push(e),
    onGone: (id) => gone.push(id),
    onError: () => undefined,
  });
  return { control, ids, pumps, events, gone, want: (next: string[]) => { wanted = next; } };
}

describe('pump set', () => {
  it('starts the pumps wanted and stops the ones no longer wanted', async () => {
    const s = await setup();
    s.pumps.sync();
    expect(s.pumps.size).toBe(2);
    s.want([s.ids[0]!]);
    s.pumps.sync();
    expect([s.pumps.has(s.ids[0]!), s.pumps.has(s.ids[1]!)]).toEqual([true, false]);
    await s.pumps.close();
  });

  it('pumps the module\'s events to the handler', async () => {
    const s = await setup(1);
    s.pumps.sync();
    s.control.pushEvent(s.ids[0]!, { kind: 'no_space', code: 1, device: null, errCode: null, requestedSectors: 8 });
    await until(() => s.events.length === 1);
    expect(s.events[0]).toMatchObject({ snapshotId: s.ids[0], kind: 'no_space' });
    await s.pumps.close();
  });

  it('suspends a pump: no wait is in progress when suspend resolves, and no sync restarts it until resume', async () => {
    const s = await setup(1);
    const id = s.ids[0]!;
    s.pumps.sync();
    await until(() => s.control.waitsInProgress === 1);
    await s.pumps.suspend(id);
    expect(s.control.waitsInProgress).toBe(0);
    s.pumps.sync();
    expect(s.pumps.has(id)).toBe(false);
    s.pumps.resume(id, true);
    expect(s.pumps.has(id)).toBe(true);
    await s.pumps.close();
  });

  it('does not restart a pump on resume when the snapshot is gone', async () => {
    const s = await setup(1);
    const id = s.ids[0]!;
    s.pumps.sync();
    await s.pumps.suspend(id);
    s.pumps.resume(id, false);
    expect(s.pumps.has(id)).toBe(false);
  });

  it('drops a pump whose snapshot vanished and says so', async () => {
    const s = await setup(1);
    const id = s.ids[0]!;
    s.pumps.sync();
    await until(() => s.control.waitsInProgress === 1);
    await s.control.snapshotDestroy(id);
    await until(() => s.gone.length === 1);
    expect(s.gone).toEqual([id]);
    expect(s.pumps.has(id)).toBe(false);
  });

  it('starts nothing after close', async () => {
    const s = await setup(1);
    await s.pumps.close();
    s.pumps.sync();
    expect(s.pumps.size).toBe(0);
  });

  it('leaves no abort listener behind after each error\'s pause: a long-running service whose module keeps failing does not collect them', async () => {
    const control = new FakeControl('kernel');
    let signal: AbortSignal | undefined;
    control.waitEvent = async (_id, _ticks, options = {}) => {
      signal = options.signal;
      throw errnoError('EIO', 'wait_event', 'the module failed');
    };
    let errors = 0;
    const pump = new EventPump(control, 'id', 1, { onEvent: () => undefined, onGone: () => undefined, onError: () => void (errors += 1) }, 1);
    await until(() => errors >= 30);
    expect(getEventListeners(signal!, 'abort').length).toBeLessThanOrEqual(1);
    await pump.stop();
  });

  // Seventh session (review): a pump stopped by its own error handler (the signal already aborted
  // when the pause began) still paused the whole backoff, and stop() waited for it.
  it('does not pause after an error when it was stopped meanwhile', async () => {
    const control = new FakeControl('kernel');
    control.waitEvent = async () => {
      throw errnoError('EIO', 'wait_event', 'the module failed');
    };
    let stopped: Promise<void> | undefined;
    const pump: EventPump = new EventPump(control, 'id', 1, { onEvent: () => undefined, onGone: () => undefined, onError: () => void (stopped ??= pump.stop()) }, 60_000);
    await until(() => stopped !== undefined);
    const t0 = performance.now();
    await stopped;
    expect(performance.now() - t0).toBeLessThan(5_000);
  }, 20_000);
});
