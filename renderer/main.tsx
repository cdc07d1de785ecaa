// Entry: pick the API client (the real transport, or the in-memory fake with ?fake=1),
// connect the store to it and render the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { getApi } from './api';
import { App } from './app/App';
import { ApiContext, type ApiClient } from './app/apiContext';
import { connectStore, refreshLists } from './app/connect';
import { preloadViews } from './app/lazyViews';
import { createAppStore, StoreProvider, type AppStore } from './store';
import { takeFirstPageData } from '../shared/firstPage';

// The fake API ships only where it is allowed (dev server, bench builds): not in the app.
const FAKE_ALLOWED = import.meta.env.DEV || import.meta.env.VITE_ALLOW_FAKE === '1';

async function loadClient(store: AppStore): Promise<ApiClient> {
  if (FAKE_ALLOWED && new URLSearchParams(window.location.search).has('fake')) {
    const { createFakeClient } = await import('./dev/fakeApi');
    return createFakeClient();
  }
  const client: ApiClient = getApi({
    // Web mode: say when the WebSocket drops after the first load, and reload the lists once it is back.
    onConnectionChange(connected) {
      const { connection, setConnection } = store.getState();
      if (!connected && connection === 'ready') setConnection('lost', 'The connection to the service dropped; reconnecting. What is shown may be out of date. If blksnap Manager was restarted, open the new URL it printed (it carries a new token).');
      if (connected && connection === 'lost') {
        setConnection('ready');
        void refreshLists(client, store).catch(() => undefined);
      }
    },
  });
  return client;
}

/**
 * Web mode: a browser does not tell a refused WebSocket upgrade (wrong token) from a closed one,
 * so say what is most likely wrong and what to do, instead of "closed before the answer came".
 */
function connectionHint(hadToken: boolean): string {
  return hadToken
    ? 'The service refused this page or is not running. The access token changes at every start of blksnap Manager: open the URL it printed at its last start (it ends in ?token=…).'
    : 'This page was opened without its access token. Open the URL blksnap Manager printed when it started (it ends in ?token=…); the token changes at every start.';
}

async function start() {
  const root = createRoot(document.getElementById('root')!);
  const store = createAppStore();
  const hadToken = new URLSearchParams(window.location.search).has('token') || window.sessionStorage.getItem('blksnap-token') !== null;
  try {
    const client = await loadClient(store);
    if (client.transport === 'web') {
      store.subscribe((state, previous) => {
        if (state.connection === 'failed' && previous.connection !== 'failed') state.setConnection('failed', `${connectionHint(hadToken)} (${state.connectionError ?? 'no answer'})`);
      });
    }
    // Web mode: the list the server put into the page paints in the first render; the
    // WebSocket's answers replace it when they come.
    const first = client.transport === 'web' ? takeFirstPageData(document) : null;
    if (first) {
      store.getState().setBackend(first.backend);
      store.getState().setDevices(first.devices);
    }
    connectStore(client, store);
    root.render(
      <StrictMode>
        <ApiContext.Provider value={client}>
          <StoreProvider store={store}>
            <App />
          </StoreProvider>
        </ApiContext.Provider>
      </StrictMode>,
    );
    // The other views' chunks once the lists are in, when the page is idle.
    const unsubscribe = store.subscribe((state) => {
      if (state.connection !== 'ready') return;
      unsubscribe();
      if (typeof requestIdleCallback === 'function') requestIdleCallback(preloadViews, { timeout: 3000 });
      else setTimeout(preloadViews, 500);
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    root.render(<div className="banner banner-error" role="alert">blksnap Manager could not start: {message}</div>);
  }
}

void start();
