// One zustand store split into slices by domain; components select the smallest piece.
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createDevicesSlice } from './devicesSlice';
import { createEventsSlice, EVENT_BUFFER_CAPACITY } from './eventsSlice';
import { createSnapshotsSlice } from './snapshotsSlice';
import type { AppState } from './types';
import { createUiSlice } from './uiSlice';

export type { AppState } from './types';
export type AppStore = StoreApi<AppState>;

export function createAppStore(options: { eventCapacity?: number } = {}): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createDevicesSlice(...a),
    ...createSnapshotsSlice(...a),
    ...createEventsSlice(options.eventCapacity ?? EVENT_BUFFER_CAPACITY)(...a),
    ...createUiSlice(...a),
  }));
}

const StoreContext = createContext<AppStore | null>(null);

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return createElement(StoreContext.Provider, { value: store }, children);
}

export function useAppStoreApi(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore needs a StoreProvider above it');
  return store;
}

export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStoreApi(), selector);
}
