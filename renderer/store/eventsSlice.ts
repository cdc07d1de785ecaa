import type { StateCreator } from 'zustand';
import type { AppEvent } from '../../shared/contract';
import { EventFacetIndex } from './eventFacets';
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
  /** Values of the held events, for the filter menus (mutable; see eventFacetsVersion). */
  eventFacets: EventFacetIndex;
  /** Changes whenever a filter menu gains or loses a value. */
  eventFacetsVersion: number;
  appendEvents: (batch: readonly AppEvent[]) => void;
  pauseEvents: () => void;
  resumeEvents: () => void;
  clearEvents: () => void;
}

export function createEventsSlice(capacity = EVENT_BUFFER_CAPACITY): StateCreator<AppState, [], [], EventsSlice> {
  return (set, get) => ({
    eventLog: new RingBuffer<AppEvent>(capacity),
    eventsTotal: 0,
    lastEventSeq: -1,
    eventsPausedAt: null,
    eventFacets: new EventFacetIndex(),
    eventFacetsVersion: 0,
    appendEvents: (batch) => {
      const { eventLog, lastEventSeq, eventFacets } = get();
      // History and pushes may overlap: keep each seq once, in order.
      const fresh = batch.filter((e) => e.seq > lastEventSeq);
      if (fresh.length === 0) return;
      // Only what stays held counts: a batch larger than the ring keeps its tail.
      for (let i = Math.max(0, fresh.length - eventLog.capacity); i < fresh.length; i++) eventFacets.add(fresh[i]!);
      eventLog.push(fresh, (old) => eventFacets.remove(old));
      set({ eventsTotal: eventLog.total, lastEventSeq: fresh[fresh.length - 1]!.seq, eventFacetsVersion: eventFacets.version });
    },
    pauseEvents: () => set((state) => ({ eventsPausedAt: state.eventsPausedAt ?? state.eventLog.total })),
    resumeEvents: () => set({ eventsPausedAt: null }),
    clearEvents: () => {
      get().eventLog.clear();
      get().eventFacets.clear();
      set({ eventsTotal: 0, eventsPausedAt: null, eventFacetsVersion: get().eventFacets.version });
    },
  });
}
