import { Suspense, useEffect } from 'react';
import { useAppStore, useAppStoreApi } from '../store';
import { parseHash, routeHash } from '../store/route';
import { DevicesView } from '../views/devices/DevicesView';
import { AppShell } from './AppShell';
import { BackendView, DeviceDetailView, EventsView, SnapshotsView } from './lazyViews';
import { ViewErrorBoundary } from './ViewErrorBoundary';

const TITLES = { devices: 'Devices', device: 'Device', snapshots: 'Snapshots', events: 'Events', backend: 'Backend' } as const;

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

  return (
    <AppShell>
      {/* Keyed by the view: leaving a view that failed while drawing and coming back draws it again (code that could not be loaded needs the reload the banner offers). */}
      <ViewErrorBoundary key={route.view} title={TITLES[route.view]} resetKey={route.view === 'device' ? route.path : undefined}>
        {route.view === 'devices' && <DevicesView />}
        <Suspense fallback={<p className="muted">Loading…</p>}>
          {route.view === 'device' && <DeviceDetailView path={route.path} />}
          {route.view === 'snapshots' && <SnapshotsView />}
          {route.view === 'events' && <EventsView />}
          {route.view === 'backend' && <BackendView />}
        </Suspense>
      </ViewErrorBoundary>
    </AppShell>
  );
}
