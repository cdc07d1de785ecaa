import { describe, expect, it } from 'vitest';
import { Poller } from '../../../electron/service/polling';
import { sleep, until } from './parts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { open, opened };
}

describe('poller (refresh and loops)', () => {
  it('runs one refresh at a time: calls during a run share one more run', async () => {
    const gates = [gate(), gate()];
    let runs = 0;
    const poller = new Poller(async () => { await gates[runs++]!.opened; }, () => undefined);
    const first = poller.refresh();
    const second = poller.refresh();
    const third = poller.refresh();
    expect(second).toBe(third);
    expect(runs).toBe(1);
    gates[0]!.open();
    await first;
    await until(() => runs === 2);
    gates[1]!.open();
    await Promise.all([second, third]);
    expect(runs).toBe(2);
    poller.stop();
  });

  it('keeps a loop going after a failed run, and reports the failure', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const poller = new Poller(async () => undefined, (err) => errors.push(err));
    poller.every(1, async () => {
      runs += 1;
      if (runs === 1) throw new Error('first run failed');
    });
    await until(() => runs >= 3);
    poller.stop();
    expect(errors).toHaveLength(1);
  });

  it('runs nothing more after stop: no loop tick, no refresh', async () => {
    let reads = 0;
    let ticks = 0;
    const poller = new Poller(async () => { reads += 1; }, () => undefined);
    poller.every(1, async () => { ticks += 1; });
    await until(() => ticks >= 1);
    poller.stop();
    const ticksAtStop = ticks;
    await poller.refresh();
    await sleep(20);
    expect(poller.closed).toBe(true);
    expect(reads).toBe(0);
    expect(ticks).toBeLessThanOrEqual(ticksAtStop + 1);
  });

  it('settles once the refresh in progress has ended, even when it failed', async () => {
    const g = gate();
    const poller = new Poller(async () => { await g.opened; throw new Error('backend gone'); }, () => undefined);
    const run = poller.refresh().catch(() => 'failed');
    let settled = false;
    const done = poller.settled().then(() => { settled = true; });
    await sleep(5);
    expect(settled).toBe(false);
    g.open();
    await done;
    expect(await run).toBe('failed');
    poller.stop();
  });
});
