// The views other than the device list load as their own chunks (recharts travels with the
// snapshots view), so the first paint waits only for the app shell and the device list. They
// are fetched in the background once the app has painted.
import { lazy } from 'react';

const load = {
  snapshots: () => import('../views/snapshots/SnapshotsView'),
  device: () => import('../views/devices/DeviceDetailView'),
  events: () => import('../views/events/EventsView'),
  backend: () => import('../views/backend/BackendView'),
};

export const SnapshotsView = lazy(() => load.snapshots().then((m) => ({ default: m.SnapshotsView })));
export const DeviceDetailView = lazy(() => load.device().then((m) => ({ default: m.DeviceDetailView })));
export const EventsView = lazy(() => load.events().then((m) => ({ default: m.EventsView })));
export const BackendView = lazy(() => load.backend().then((m) => ({ default: m.BackendView })));

/** Fetches every view's chunk now (after the first paint), so that switching views never waits. */
export function preloadViews(): void {
  for (const fetchChunk of Object.values(load)) void fetchChunk().catch(() => undefined);
}
