// Feeds the store: an initial load of every list, then the service's pushes.
import type { ApiClient } from './apiContext';
import type { AppStore } from '../store';
import { errorMessage } from './errors';

const INITIAL_EVENT_HISTORY = 5_000;

export function connectStore(client: ApiClient, store: AppStore): () => void {
  const { api, push } = client;
  const s = store.getState();
  const unsubscribers = [
    push.subscribe('devices', (devices) => store.getState().setDevices(devices)),
    push.subscribe('snapshots', (snapshots) => store.getState().setSnapshots(snapshots)),
    push.subscribe('fill', ({ id, sample }) => store.getState().appendFill(id, sample)),
    push.subscribe('events', (batch) => store.getState().appendEvents(batch)),
    push.subscribe('backend', (backend) => store.getState().setBackend(backend)),
    push.subscribe('workloads', (workloads) => store.getState().setWorkloads(workloads)),
  ];

  void (async () => {
    try {
      const [backend, devices, snapshots, events] = await Promise.all([
        api.backendInfo({}), api.listDevices({}), api.listSnapshots({}), api.eventHistory({ limit: INITIAL_EVENT_HISTORY }),
      ]);
      s.setBackend(backend);
      s.setDevices(devices);
      s.setSnapshots(snapshots);
      s.appendEvents(events);
      s.setConnection('ready');
      await Promise.all(snapshots.map(async (snap) => s.setFillHistory(snap.id, await api.fillHistory({ id: snap.id }))));
      s.setParameters(await api.parameters({}));
      if (backend.kind === 'emulator') s.setWorkloads(await api.workloadList({}));
    } catch (err) {
      if (store.getState().connection !== 'ready') s.setConnection('failed', errorMessage(err));
    }
  })();

  return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
}

/** Re-reads the lists after an action, without waiting for the next push. */
export async function refreshLists(client: ApiClient, store: AppStore): Promise<void> {
  const [devices, snapshots] = await Promise.all([client.api.listDevices({}), client.api.listSnapshots({})]);
  store.getState().setDevices(devices);
  store.getState().setSnapshots(snapshots);
}
