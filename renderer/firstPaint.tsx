// Web mode, server side: the app's frame with the device list as static HTML, made from the
// first page's data (shared/firstPage.ts) by the same components the app renders. The web
// server puts it into the page opened with the token (electron/web/firstPage.ts), so the list
// paints as soon as the page and its stylesheet are in, before the app's script has run
// (test/bench/cold-start.ts). It is inert (nothing in it can be clicked or focused) and the
// app's first render replaces it: createRoot empties its container at its first commit.
// Built as its own Node bundle, dist/web/first-paint.cjs (build/build.mjs), loaded by the
// server before the first such request (electron/web/firstPaintBundle.ts); React's escaping is what makes a device's name text, never markup.
import { renderToStaticMarkup } from 'react-dom/server';
import type { BlksnapApi, PushSource } from '../shared/contract';
import type { FirstPageData } from '../shared/firstPage';
import { ApiContext, type ApiClient } from './app/apiContext';
import { AppShell } from './app/AppShell';
import { createAppStore, StoreProvider, type AppStore } from './store';
import { DevicesView } from './views/devices/DevicesView';

/** The attribute that marks the static first paint (tests and the benchmark look for it). */
export const FIRST_PAINT_ATTRIBUTE = 'data-first-paint';

/** Rendering calls nothing: any use of the API here is a bug, and says so. */
const noCalls = new Proxy({}, {
  get: (_target, name) => () => Promise.reject(new Error(`the first paint cannot call ${String(name)}`)),
});
const renderOnlyClient: ApiClient = { api: noCalls as BlksnapApi, push: noCalls as PushSource, transport: 'web' };

/**
 * The store with the data in it, as the app's store is after main.tsx seeds it. A server render
 * reads a zustand store's initial state (useSyncExternalStore's server snapshot), so that is
 * the seeded state here.
 */
function seededStore(data: FirstPageData): AppStore {
  const store = createAppStore();
  store.getState().setBackend(data.backend);
  store.getState().setDevices(data.devices);
  return { ...store, getInitialState: store.getState };
}

/** The static HTML of the app's first screen (the device list) for `data`. */
export function renderFirstPaint(data: FirstPageData): string {
  const markup = renderToStaticMarkup(
    <ApiContext.Provider value={renderOnlyClient}>
      <StoreProvider store={seededStore(data)}>
        <AppShell>
          <DevicesView />
        </AppShell>
      </StoreProvider>
    </ApiContext.Provider>,
  );
  return `<div ${FIRST_PAINT_ATTRIBUTE}="" inert="">${markup}</div>`;
}
