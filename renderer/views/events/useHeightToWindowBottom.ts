import { useLayoutEffect, useState, type RefObject } from 'react';

export interface WindowBottomOptions {
  /** Never shorter than this (a short window scrolls the page instead). */
  minPx: number;
  /** Kept free below: the card's padding and a margin. */
  bottomPx: number;
  /** Shown below the list and kept in view with it (the selected event's details). */
  below?: RefObject<HTMLElement | null>;
}

/**
 * The height from the top of `top`'s element (page coordinates, so scrolling changes nothing) to
 * the bottom of the window, less what must stay in view below it. Measured again when the window
 * is resized and when the page's layout changes (a toolbar wraps, a banner or the details appear);
 * a list at its full height changes nothing, so a busy list costs no measuring.
 */
export function useHeightToWindowBottom(top: RefObject<HTMLElement | null>, { minPx, bottomPx, below }: WindowBottomOptions): number {
  const [height, setHeight] = useState(minPx);
  useLayoutEffect(() => {
    const measure = () => {
      const element = top.current;
      if (!element) return;
      const box = element.getBoundingClientRect();
      // From the list's bottom to the bottom of what follows it: its height and the margin between.
      const belowPx = below?.current ? Math.max(0, below.current.getBoundingClientRect().bottom - box.bottom) : 0;
      const topPx = box.top + window.scrollY;
      setHeight(Math.max(minPx, Math.floor(window.innerHeight - topPx - belowPx - bottomPx)));
    };
    measure();
    window.addEventListener('resize', measure);
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure);
    observer?.observe(document.body);
    return () => {
      window.removeEventListener('resize', measure);
      observer?.disconnect();
    };
  }, [top, below, minPx, bottomPx]);
  return height;
}
