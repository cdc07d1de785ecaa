// Feeds the store: an initial load of every list, then the service's pushes.
import type { ApiClient } from './apiContext';
import type { AppStore } from '../store';
import { errorMessage } from './errors';

const INITIAL_EVENT_HISTORY = 5_000;

export function connectStore(client: ApiClient, store: AppStore): () => void {
  const { api, push } = client;
  const s = store.getState();
  const snapshots = () => store.getState().snapshots.map((snap) => snap.id);
  const unsubscribers = [
    push.subscribe('devices', (devices) => store.getState().setDevices(devices)),
    push.subscribe('snapshots', (list) => {
      const known = new Set(store.getState().snapshots.map((snap) => snap.id));
      store.getState().setSnapshots(list);
      // A snapshot made elsewhere (CLI, another window): fetch the history it already has.
      for (const snap of list) if (!known.has(snap.id)) void api.fillHistory({ id: snap.id }).then((h) => store.getState().setFillHistory(snap.id, h), () => undefined);
    }),
    push.subscribe('fill', ({ id, sample }) => store.getState().appendFill(id, sample)),
    push.subscribe('events', (batch) => store.getState().appendEvents(batch)),
    push.subscribe('backend', (backend) => {
      const previous = store.getState().backend;
      store.getState().setBackend(backend);
      // Another backend or dialect has other parameters.
      if (previous && (previous.kind !== backend.kind || previous.dialect !== backend.dialect)) void loadParameters(client, store);
    }),
    push.subscribe('workloads', (workloads) => store.getState().setWorkloads(workloads)),
  ];

  void (async () => {
    try {
      // Each list shows as soon as it is in: the device list does not wait for the event history.
      await Promise.all([
        api.backendInfo({}).then((backend) => s.setBackend(backend)),
        api.listDevices({}).then((devices) => s.setDevices(devices)),
        api.listSnapshots({}).then((snapshots) => s.setSnapshots(snapshots)),
        api.eventHistory({ limit: INITIAL_EVENT_HISTORY }).then((events) => s.appendEvents(events)),
      ]);
      s.setConnection('ready');
    } catch (err) {
      s.setConnection('failed', errorMessage(err));
      return;
    }
    // Secondary reads: each failure stays local to what it feeds.
    await Promise.all(snapshots().map(async (id) => {
      try {
        s.setFillHistory(id, await api.fillHistory({ id }));
      } catch {
        // The snapshot went away meanwhile; its card is gone with it.
      }
    }));
    await loadParameters(client, store);
    if (store.getState().backend?.kind === 'emulator') {
      try {
        s.setWorkloads(await api.workloadList({}));
      } catch {
        // Shown empty; the next push fills it.
      }
    }
  })();

  return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
}

async function loadParameters(client: ApiClient, store: AppStore): Promise<void> {
  try {
    store.getState().setParameters(await client.api.parameters({}));
  } catch (err) {
    store.getState().setParameters(null, errorMessage(err));
  }
}

/** Re-reads the lists after an action, without waiting for the next push. */
export async function refreshLists(client: ApiClient, store: AppStore): Promise<void> {
  const [devices, snapshots] = await Promise.all([client.api.listDevices({}), client.api.listSnapshots({})]);
  store.getState().setDevices(devices);
  store.getState().setSnapshots(snapshots);
}
