import type { StateCreator } from 'zustand';
import type { AppEvent } from '../../shared/contract';
import { RingBuffer } from './ringBuffer';
import type { AppState } from './types';

export const EVENT_BUFFER_CAPACITY = 50_000;

export interface EventsSlice {
  /** Mutable ring; `eventsTotal` changes whenever it does, so components select that. */
  eventLog: RingBuffer<AppEvent>;
  eventsTotal: number;
  lastEventSeq: number;
  /** While paused the list shows events below this global index; appends continue. */
  eventsPausedAt: number | null;
  /** Values seen so far, for the filter menus (a new array only when a value is new). */
  eventFacets: EventFacets;
  appendEvents: (batch: readonly AppEvent[]) => void;
  pauseEvents: () => void;
  resumeEvents: () => void;
  clearEvents: () => void;
}

export interface EventFacets {
  snapshotIds: string[];
  devices: string[];
  kinds: string[];
}

function withFacets(facets: EventFacets, batch: readonly AppEvent[]): EventFacets {
  let next = facets;
  const add = (key: keyof EventFacets, value: string | null) => {
    if (value === null || next[key].includes(value)) return;
    if (next === facets) next = { ...facets };
    next[key] = [...next[key], value].sort();
  };
  for (const e of batch) {
    add('snapshotIds', e.snapshotId);
    add('devices', e.device);
    add('kinds', e.kind);
  }
  return next;
}

export function createEventsSlice(capacity = EVENT_BUFFER_CAPACITY): StateCreator<AppState, [], [], EventsSlice> {
  return (set, get) => ({
    eventLog: new RingBuffer<AppEvent>(capacity),
    eventsTotal: 0,
    lastEventSeq: -1,
    eventsPausedAt: null,
    eventFacets: { snapshotIds: [], devices: [], kinds: [] },
    appendEvents: (batch) => {
      const { eventLog, lastEventSeq } = get();
      // History and pushes may overlap: keep each seq once, in order.
      const fresh = batch.filter((e) => e.seq > lastEventSeq);
      if (fresh.length === 0) return;
      eventLog.push(fresh);
      set((state) => ({ eventsTotal: eventLog.total, lastEventSeq: fresh[fresh.length - 1]!.seq, eventFacets: withFacets(state.eventFacets, fresh) }));
    },
    pauseEvents: () => set((state) => ({ eventsPausedAt: state.eventsPausedAt ?? state.eventLog.total })),
    resumeEvents: () => set({ eventsPausedAt: null }),
    clearEvents: () => {
      get().eventLog.clear();
      set({ eventsTotal: 0, eventsPausedAt: null });
    },
  });
}
