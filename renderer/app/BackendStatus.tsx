import { Badge } from '../components/common';
import { useAppStore } from '../store';

/** Always visible: which backend and dialect are active, and why. */
export function BackendStatus() {
  const backend = useAppStore((s) => s.backend);
  const navigate = useAppStore((s) => s.navigate);
  if (!backend) return <div className="backend-status muted" role="region" aria-label="Backend">connecting…</div>;
  const v = backend.version;
  return (
    <div className="backend-status" role="region" aria-label="Backend">
      <button type="button" className="backend-link" onClick={() => navigate({ view: 'backend' })} title={backend.reason}>
        <Badge tone={backend.kind === 'kernel' ? 'ok' : 'info'}>{backend.kind}</Badge>
        <span>{backend.dialectLabel}</span>
        <span className="backend-version">{v.major}.{v.minor}.{v.revision}.{v.build}</span>
        {!backend.verified && <Badge tone="warn">unverified dialect</Badge>}
        <span className="visually-hidden">. {backend.reason}</span>
      </button>
    </div>
  );
}
