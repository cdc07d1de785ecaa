import type { StateCreator } from 'zustand';
import type { DeviceSummary } from '../../shared/contract';
import type { AppState } from './types';

/** The generation ids a device's CBT map has had while the app watched it. */
export interface GenerationWatch {
  /** The generation when the app first saw the tracker. */
  firstSeen: string;
  current: string;
  /** When the current generation replaced an earlier one (null: unchanged since first seen). */
  changedAtMs: number | null;
  previous: string | null;
}

export interface DevicesSlice {
  devices: DeviceSummary[];
  devicesLoaded: boolean;
  generations: Record<string, GenerationWatch>;
  setDevices: (devices: DeviceSummary[], nowMs?: number) => void;
  /** The user acknowledged a generation change (took a full backup). */
  acknowledgeGeneration: (path: string) => void;
}

function watchGenerations(previous: Record<string, GenerationWatch>, devices: DeviceSummary[], nowMs: number) {
  let next = previous;
  for (const device of devices) {
    const generation = device.cbt?.generationId;
    if (!generation) continue;
    const known = previous[device.path];
    if (known?.current === generation) continue;
    if (next === previous) next = { ...previous };
    next[device.path] = known
      ? { firstSeen: known.firstSeen, current: generation, changedAtMs: nowMs, previous: known.current }
      : { firstSeen: generation, current: generation, changedAtMs: null, previous: null };
  }
  return next;
}

export const createDevicesSlice: StateCreator<AppState, [], [], DevicesSlice> = (set) => ({
  devices: [],
  devicesLoaded: false,
  generations: {},
  setDevices: (devices, nowMs = Date.now()) =>
    set((state) => ({ devices, devicesLoaded: true, generations: watchGenerations(state.generations, devices, nowMs) })),
  acknowledgeGeneration: (path) =>
    set((state) => {
      const known = state.generations[path];
      if (!known) return {};
      return { generations: { ...state.generations, [path]: { ...known, firstSeen: known.current, changedAtMs: null, previous: null } } };
    }),
});
