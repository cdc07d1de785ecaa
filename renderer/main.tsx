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

async function start() {
  const root = createRoot(document.getElementById('root')!);
  const store = createAppStore();
  try {
    const client = await loadClient(store);
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
