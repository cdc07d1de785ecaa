import { Badge } from '../components/common';
import { useAppStore } from '../store';

/** Always visible: which backend and dialect are active. */
export function BackendStatus() {
  const backend = useAppStore((s) => s.backend);
  const navigate = useAppStore((s) => s.navigate);
  if (!backend) return <div className="backend-status muted">connecting…</div>;
  return (
    <button type="button" className="backend-status" onClick={() => navigate({ view: 'backend' })} title={backend.reason} aria-label={`Backend: ${backend.kind}, ${backend.dialectLabel}${backend.verified ? '' : ', unverified dialect'}`}>
      <Badge tone={backend.kind === 'kernel' ? 'ok' : 'info'}>{backend.kind}</Badge>
      <span>{backend.dialectLabel}</span>
      {!backend.verified && <Badge tone="warn">unverified dialect</Badge>}
    </button>
  );
}
