// The app's place, kept in the URL hash so reloads and tests land on a view directly.

export type Route =
  | { view: 'devices' }
  | { view: 'device'; path: string }
  | { view: 'snapshots' }
  | { view: 'events' }
  | { view: 'backend' };

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  switch (parts[0]) {
    case 'snapshots': return { view: 'snapshots' };
    case 'events': return { view: 'events' };
    case 'backend': return { view: 'backend' };
    case 'devices':
      if (parts[1]) {
        try {
          return { view: 'device', path: decodeURIComponent(parts.slice(1).join('/')) };
        } catch {
          return { view: 'devices' };
        }
      }
      return { view: 'devices' };
    default: return { view: 'devices' };
  }
}

export function routeHash(route: Route): string {
  if (route.view === 'device') return `#/devices/${encodeURIComponent(route.path)}`;
  return `#/${route.view}`;
}
