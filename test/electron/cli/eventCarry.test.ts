import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlksnapApi } from '../../../shared/contract';
import type { SnapshotEvent } from '../../../shared/schemas';
import { CARRY_FILE, carryModuleEvents } from '../../../electron/cli/eventCarry';
import type { BlksnapService } from '../../../electron/service';
import { fakeApi } from './harness';

const A = '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b';
const B = '11111111-2222-4333-8444-555555555555';

function event(id: string, t: number): SnapshotEvent {
  return { snapshotId: id, code: 0, kind: 'corrupted', timeLabelNs: String(t), device: { major: 1, minor: 2 }, errCode: 28, requestedSectors: null };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-carry-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A service whose pump reports `pumped` to listeners and whose waitEvent returns `queue`. */
function setup(queue: (SnapshotEvent | null)[], live: string[]) {
  let listener: ((e: SnapshotEvent) => void) | undefined;
  const service = { addLifecycleListener: (l: { moduleEvent: (e: SnapshotEvent) => void }) => { listener = l.moduleEvent; return () => undefined; } } as unknown as BlksnapService;
  const api = fakeApi({
    waitEvent: async () => queue.shift() ?? null,
    listSnapshots: async () => live.map((id) => ({ id })) as unknown as Awaited<ReturnType<BlksnapApi['listSnapshots']>>,
  });
  const carried = carryModuleEvents(service, api, dir);
  return { carried, pump: (e: SnapshotEvent) => listener?.(e) };
}

describe('module events carried between in-process runs', () => {
  it('keeps what a run drained but nobody read, and hands it out first in the next run', async () => {
    const first = setup([], [A]);
    first.pump(event(A, 1));
    first.pump(event(A, 2));
    const second = setup([], [A]);
    expect(await second.carried.waitEvent({ id: A, timeoutTicks: 0 })).toEqual(event(A, 1));
    expect(await second.carried.waitEvent({ id: A, timeoutTicks: 0 })).toEqual(event(A, 2));
    expect(await second.carried.waitEvent({ id: A, timeoutTicks: 0 })).toBeNull();
  });

  it('gives an event once, whether the service or the file hands it out first', async () => {
    const e = event(A, 5);
    const run = setup([e, e, null], [A]);
    run.pump(e);
    expect(await run.carried.waitEvent({ id: A, timeoutTicks: 0 })).toEqual(e);
    expect(await run.carried.waitEvent({ id: A, timeoutTicks: 0 })).toBeNull();
    // A listener that reports late does not bring it back.
    run.pump(e);
    expect(JSON.parse(readFileSync(join(dir, CARRY_FILE), 'utf8')).events).toEqual([]);
  });

  it('forgets the events of snapshots that are gone', async () => {
    writeFileSync(join(dir, CARRY_FILE), JSON.stringify({ version: 1, events: [event(B, 1), event(A, 2)] }));
    const run = setup([], [A]);
    expect(await run.carried.waitEvent({ id: B, timeoutTicks: 0 })).toBeNull();
    expect(await run.carried.waitEvent({ id: A, timeoutTicks: 0 })).toEqual(event(A, 2));
  });

  it('ignores an unreadable file', async () => {
    writeFileSync(join(dir, CARRY_FILE), '{broken');
    expect(await setup([], [A]).carried.waitEvent({ id: A, timeoutTicks: 0 })).toBeNull();
  });
});
