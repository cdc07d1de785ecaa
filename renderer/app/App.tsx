import { Suspense, useEffect } from 'react';
import { useAppStore, useAppStoreApi } from '../store';
import { parseHash, routeHash, type Route } from '../store/route';
import { DevicesView } from '../views/devices/DevicesView';
import { BackendView, DeviceDetailView, EventsView, SnapshotsView } from './lazyViews';
import { BackendStatus } from './BackendStatus';

const NAV: { view: Route['view']; label: string }[] = [
  { view: 'devices', label: 'Devices' },
  { view: 'snapshots', label: 'Snapshots' },
  { view: 'events', label: 'Events' },
  { view: 'backend', label: 'Backend' },
];

/** Keeps the route and the URL hash in step (back/forward and reload land on the same view). */
function useHashRoute() {
  const store = useAppStoreApi();
  useEffect(() => {
    const fromHash = () => store.getState().navigate(parseHash(window.location.hash));
    fromHash();
    window.addEventListener('hashchange', fromHash);
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.route === previous.route) return;
      const hash = routeHash(state.route);
      if (window.location.hash !== hash) window.history.pushState(null, '', hash);
    });
    return () => {
      window.removeEventListener('hashchange', fromHash);
      unsubscribe();
    };
  }, [store]);
}

export function App() {
  useHashRoute();
  const route = useAppStore((s) => s.route);
  const navigate = useAppStore((s) => s.navigate);
  const connection = useAppStore((s) => s.connection);
  const connectionError = useAppStore((s) => s.connectionError);
  const active = route.view === 'device' ? 'devices' : route.view;

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">▦</span>
          <span className="brand-name">blksnap Manager</span>
        </div>
        <nav aria-label="Main">
          <ul className="nav-list">
            {NAV.map((item) => (
              <li key={item.view}>
                <a
                  href={routeHash({ view: item.view } as Route)}
                  className={active === item.view ? 'nav-link active' : 'nav-link'}
                  aria-current={active === item.view ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate({ view: item.view } as Route);
                  }}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <BackendStatus />
      </header>
      <main className="content" id="main">
        {connection === 'lost' && (
          <div className="banner banner-error" role="alert" id="connection-lost">
            <strong>Connection lost.</strong> {connectionError}
          </div>
        )}
        {connection === 'failed' && (
          <div className="banner banner-error" role="alert">
            <strong>Cannot reach the blksnap Manager service.</strong> {connectionError}
          </div>
        )}
        {connection === 'failed' ? null : (
          // While the service is out of reach nothing may be changed: every control in the view is off.
          <fieldset className="view-frame" disabled={connection === 'lost'} aria-describedby={connection === 'lost' ? 'connection-lost' : undefined}>
            {route.view === 'devices' && <DevicesView />}
            <Suspense fallback={<p className="muted">Loading…</p>}>
              {route.view === 'device' && <DeviceDetailView path={route.path} />}
              {route.view === 'snapshots' && <SnapshotsView />}
              {route.view === 'events' && <EventsView />}
              {route.view === 'backend' && <BackendView />}
            </Suspense>
          </fieldset>
        )}
      </main>
    </div>
  );
}
