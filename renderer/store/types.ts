import type { DevicesSlice } from './devicesSlice';
import type { EventsSlice } from './eventsSlice';
import type { SnapshotsSlice } from './snapshotsSlice';
import type { UiSlice } from './uiSlice';

export type AppState = DevicesSlice & SnapshotsSlice & EventsSlice & UiSlice;
