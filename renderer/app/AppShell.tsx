// The frame around every view: the top bar (brand, main navigation, backend status) and the
// connection banners. The app renders the route's view inside it; the web server renders it
// with the device list for the first page's paint (renderer/firstPaint.tsx).
import type { ReactNode } from 'react';
import { useAppStore } from '../store';
import { routeHash, type Route } from '../store/route';
import { BackendStatus } from './BackendStatus';

const NAV: { view: Route['view']; label: string }[] = [
  { view: 'devices', label: 'Devices' },
  { view: 'snapshots', label: 'Snapshots' },
  { view: 'events', label: 'Events' },
  { view: 'backend', label: 'Backend' },
];

export function AppShell({ children }: { children: ReactNode }) {
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
      {/* Busy until the service's first answers are in: the first page's list may be replaced. */}
      <main className="content" id="main" aria-busy={connection === 'connecting' ? true : undefined}>
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
            {children}
          </fieldset>
        )}
      </main>
    </div>
  );
}
