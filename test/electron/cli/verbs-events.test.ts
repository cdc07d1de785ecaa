// snapshot_waitevent and snapshot_watcher's options and output against a fake service (events.test.ts
// runs them against the emulator).
import { describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../shared/contract';
import { errnoError } from '../../../shared/errors';
import type { SnapshotEvent } from '../../../shared/schemas';
import { backend, cli, event, fakeApi, fakeConnector, ID, run } from './harness';

describe('event verbs', () => {
  it('snapshot_waitevent passes the timeout as ticks and prints the event', async () => {
    const asked: unknown[] = [];
    const r = await run(['snapshot_waitevent', '-i', ID, '-t', '250'], { waitEvent: async (a) => { asked.push(a); return event('no_space', { requestedSectors: 20480 }); } });
    expect(asked).toEqual([{ id: ID, timeoutTicks: 250 }]);
    expect(r.lines).toEqual(['result=ok', 'time=4294967396', 'event=no_space']);
  });

  it('snapshot_waitevent prints timeout, interrupted and not found', async () => {
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { waitEvent: async () => null })).lines).toEqual(['result=timeout']);
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { waitEvent: async () => { throw errnoError('EINTR', 'SNAPSHOT_WAIT_EVENT', 'interrupted'); } })).lines).toEqual(['result=interrupted']);
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { waitEvent: async () => { throw errnoError('ESRCH', 'SNAPSHOT_WAIT_EVENT', 'no such snapshot'); } })).lines).toEqual(['result=not found']);
  });

  it('snapshot_waitevent prints an unknown code as a number, and v1 low_free_space with requested_nr_sect', async () => {
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { waitEvent: async () => event('unknown') })).lines[2]).toBe('event=7');
    const v1 = await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { backendInfo: async () => backend('v1'), waitEvent: async () => event('low_free_space', { requestedSectors: 2097152 }) });
    expect(v1.lines.slice(2)).toEqual(['event=low_free_space', 'requested_nr_sect=2097152']);
  });

  it('snapshot_waitevent refuses a timeout that is not a number', async () => {
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', 'soon'])).code).toBe(1);
  });

  it('snapshot_watcher prints every kind of event and the stretch steps, until the snapshot is gone', async () => {
    const queue: (SnapshotEvent | null | 'gone')[] = [
      event('low_free_space', { requestedSectors: 2097152 }), null, event('no_space', { requestedSectors: 3 * 2097152 }), event('unknown'), 'gone',
    ];
    const history: AppEvent[] = [];
    const stretch: AppEvent = { seq: 5, timeMs: 0, source: 'app', level: 'info', kind: 'stretch', snapshotId: ID, device: null, message: 'appended 1024 MiB (diff_storage#0)', module: null };
    const r = await run(['snapshot_watcher', '-i', ID], {
      eventHistory: async () => history,
      waitEvent: async (a) => {
        expect(a.timeoutTicks).toBe(1000);
        const next = queue.shift();
        if (next === 'gone') throw errnoError('ESRCH', 'SNAPSHOT_WAIT_EVENT', 'no such snapshot');
        if (next?.kind === 'low_free_space') history.push(stretch);
        return next ?? null;
      },
    });
    expect(r.lines).toEqual([
      'Start snapshot watcher.',
      '[stretch] appended 1024 MiB (diff_storage#0)',
      '100 - Low free space in diff storage. Requested 2097152 sectors.',
      '100 - The the difference storage already grow up to 3072 MiB. Limit has been reached.',
      '100 - unsupported event #7.',
      'Snapshot not found',
      'Snapshot watcher finished',
    ]);
  });

  it('snapshot_watcher stops after corrupted, naming the device and strerror', async () => {
    const r = await run(['snapshot_watcher', '-i', ID], {
      eventHistory: async () => [],
      waitEvent: async () => event('corrupted', { device: { major: 252, minor: 3 }, errCode: 5 }),
    });
    expect(r.lines).toEqual(['Start snapshot watcher.', '100 - The snapshot was corrupted for device [252:3] with error "Input/output error".', 'Snapshot watcher finished']);
  });

  it('snapshot_watcher stops on SIGINT', async () => {
    const stop = new AbortController();
    const connect = fakeConnector(fakeApi({ eventHistory: async () => [], waitEvent: async () => { stop.abort(); return null; } }));
    const r = await cli(['snapshot_watcher', '-i', ID], { connect, signal: stop.signal, env: {} });
    expect([r.code, r.lines]).toEqual([0, ['Start snapshot watcher.', 'Snapshot watcher finished']]);
  });
});
