// Helpers for the unit tests of the service's parts: a bus whose pushes a test can read, and
// waiting for conditions and rejections without fixed sleeps.
import type { PushPayload, PushTopic } from '../../../shared/contract';
import { BlksnapError } from '../../../shared/errors';
import { Notices } from '../../../electron/service/notices';
import { PushBus } from '../../../electron/service/pushBus';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for `check` to hold. The timeout is only a safety net (the tests' own limit is 30 s): a
 * loaded CI machine (vitest's workers beside kernel builds on 2 cores) can take seconds to run
 * a few poll intervals, so it is generous; a condition that never holds still fails.
 */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

export async function rejection(promise: Promise<unknown>): Promise<BlksnapError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BlksnapError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

/** A push bus (batching 1 ms) with the notices on it, and what each topic received. */
export function busAndNotices(historyLength = 100) {
  const bus = new PushBus(1);
  const notices = new Notices(bus, historyLength);
  const pushed = <T extends PushTopic>(topic: T): PushPayload<T>[] => {
    const got: PushPayload<T>[] = [];
    bus.subscribe(topic, (p) => got.push(p));
    return got;
  };
  return { bus, notices, pushed };
}
