import { useEffect, useState } from 'react';
import { useAppStoreApi } from '../../store';

/** Batches arrive up to 20 times a second; the list follows at most every 250 ms. */
const LIST_REFRESH_MS = 250;

export function useThrottledTotal(): number {
  const store = useAppStoreApi();
  const [total, setTotal] = useState(() => store.getState().eventsTotal);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let lastShown = 0;
    const show = () => {
      timer = null;
      lastShown = performance.now();
      setTotal(store.getState().eventsTotal);
    };
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.eventsTotal === previous.eventsTotal || timer !== null) return;
      // Smaller totals (a clear) and the first change after a quiet spell show at once.
      const wait = state.eventsTotal < previous.eventsTotal ? 0 : Math.max(0, LIST_REFRESH_MS - (performance.now() - lastShown));
      timer = setTimeout(show, wait);
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [store]);
  return total;
}
