// The first paint's renderer for the web server: renderer/firstPaint.tsx built as its own
// bundle (dist/web/first-paint.cjs, build/build.mjs), run through the V8 code cache like the
// Node entries. Not loaded at start: a start's time to its URL is what a user waits for first,
// and most starts (blksnapctl's, the service mode's) never serve the page. Web mode loads it right
// after printing the URL (WebServer.prepareFirstPage), while the browser opens it; otherwise the
// first page request does.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from '../app/codeCache';
import type { FirstPageData } from '../../shared/firstPage';

export type FirstPaintRenderer = (data: FirstPageData) => string;

/** dist/<entry>/… → dist/web/first-paint.cjs; sources → <repo>/dist/web/first-paint.cjs. */
export function firstPaintBundlePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'web', 'first-paint.cjs'), join(here, '..', '..', 'dist', 'web', 'first-paint.cjs')];
  return candidates.find((file) => existsSync(file)) ?? candidates[0]!;
}

/**
 * A renderer that loads `bundle` at its first call. It gives null when the bundle is missing or
 * broken, or a render fails: the page then goes out as before (the data without the static list).
 */
export function lazyFirstPaint(bundle: string = firstPaintBundlePath()): (data: FirstPageData) => string | null {
  let render: FirstPaintRenderer | null | undefined;
  return (data) => {
    if (render === undefined) {
      render = null;
      try {
        const exported = runWithCodeCache(bundle, { writeAfterMs: 3000 }).exports as { renderFirstPaint?: unknown };
        if (typeof exported.renderFirstPaint === 'function') render = exported.renderFirstPaint as FirstPaintRenderer;
      } catch {
        // Not built, or not loadable here: the page works without it.
      }
    }
    try {
      return render ? render(data) : null;
    } catch {
      return null;
    }
  };
}
