import { describe, expect, it, vi } from 'vitest';
import { connectStore } from '../../../renderer/app/connect';
import { createFakeClient } from '../../../renderer/dev/fakeApi';
import { createAppStore } from '../../../renderer/store';

// Waits for the store to get there (fails if it never does; the timeout is only a safety net).
const until = (check: () => boolean) => vi.waitFor(() => { if (!check()) throw new Error('the store did not get there'); }, { timeout: 15_000, interval: 5 });

describe('connectStore', () => {
  it('loads every list, then follows the pushes', async () => {
    const client = createFakeClient({ live: false });
    const store = createAppStore();
    connectStore(client, store);
    await until(() => store.getState().parameters !== null);
    const state = store.getState();
    expect(state.connection).toBe('ready');
    expect(state.backend?.kind).toBe('emulator');
    expect(state.devices.map((d) => d.path)).toEqual(['/dev/vdb', '/dev/emu0', '/dev/emu1']);
    expect(state.fillHistory[state.snapshots[0]!.id]).toHaveLength(60);
    await client.api.attach({ device: '/dev/emu1' });
    expect(store.getState().devices.find((d) => d.path === '/dev/emu1')?.tracked).toBe(true);
  });

  it('keeps a failed secondary read local: the parameters error is shown where they are', async () => {
    const client = createFakeClient({ live: false });
    vi.spyOn(client.api, 'parameters').mockRejectedValue({ code: 'EACCES', message: 'parameters: EACCES (Permission denied)' });
    const store = createAppStore();
    connectStore(client, store);
    await until(() => store.getState().parametersError !== null);
    expect(store.getState().connection).toBe('ready');
    expect(store.getState().parametersError).toBe('parameters: EACCES (Permission denied)');
  });

  it('says the service cannot be reached when the first load fails', async () => {
    const client = createFakeClient({ live: false });
    vi.spyOn(client.api, 'listDevices').mockRejectedValue({ code: 'ETRANSPORT', message: 'connection refused' });
    const store = createAppStore();
    connectStore(client, store);
    await until(() => store.getState().connection !== 'connecting');
    expect(store.getState()).toMatchObject({ connection: 'failed', connectionError: 'connection refused' });
  });
});
