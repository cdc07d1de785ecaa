import type { StateCreator } from 'zustand';
import type { FillSample, SnapshotSummary } from '../../shared/contract';
import type { AppState } from './types';

/** Fill samples kept per snapshot for the chart (about 10 minutes at 1 sample/s). */
export const FILL_HISTORY_LIMIT = 600;

export interface SnapshotsSlice {
  snapshots: SnapshotSummary[];
  snapshotsLoaded: boolean;
  fillHistory: Record<string, FillSample[]>;
  setSnapshots: (snapshots: SnapshotSummary[]) => void;
  setFillHistory: (id: string, samples: FillSample[]) => void;
  appendFill: (id: string, sample: FillSample) => void;
}

function bounded(samples: FillSample[]): FillSample[] {
  return samples.length > FILL_HISTORY_LIMIT ? samples.slice(samples.length - FILL_HISTORY_LIMIT) : samples;
}

export const createSnapshotsSlice: StateCreator<AppState, [], [], SnapshotsSlice> = (set) => ({
  snapshots: [],
  snapshotsLoaded: false,
  fillHistory: {},
  setSnapshots: (snapshots) =>
    set((state) => {
      // Forget the history of destroyed snapshots.
      const alive = new Set(snapshots.map((s) => s.id));
      const stale = Object.keys(state.fillHistory).filter((id) => !alive.has(id));
      if (stale.length === 0) return { snapshots, snapshotsLoaded: true };
      const fillHistory = { ...state.fillHistory };
      for (const id of stale) delete fillHistory[id];
      return { snapshots, snapshotsLoaded: true, fillHistory };
    }),
  setFillHistory: (id, samples) =>
    set((state) => {
      // Samples pushed while the history was loading are newer: keep them after it.
      const pushed = state.fillHistory[id] ?? [];
      const lastLoaded = samples.at(-1)?.timeMs ?? -Infinity;
      return { fillHistory: { ...state.fillHistory, [id]: bounded([...samples, ...pushed.filter((s) => s.timeMs > lastLoaded)]) } };
    }),
  appendFill: (id, sample) =>
    set((state) => {
      const current = state.fillHistory[id] ?? [];
      const last = current.at(-1);
      if (last && last.timeMs >= sample.timeMs) return {};
      return { fillHistory: { ...state.fillHistory, [id]: bounded([...current, sample]) } };
    }),
});
