import type { ReactNode } from 'react';
import { errnoName } from '../../shared/errors';
import { formatBytes, formatSectors, groupDigits } from '../../shared/units';

/** A size for people, with the exact sectors and bytes on hover. */
export function Size({ bytes, className }: { bytes: number | null; className?: string }) {
  if (bytes === null) return <span className={`unknown ${className ?? ''}`} title="The backend cannot know this value">unknown</span>;
  const exact = `${formatSectors(Math.ceil(bytes / 512))} · ${groupDigits(bytes)} bytes`;
  return <span className={`size ${className ?? ''}`} title={exact}>{formatBytes(bytes)}</span>;
}

export function ErrorMessage({ message, onDismiss }: { message: string | null; onDismiss?: () => void }) {
  if (!message) return null;
  return (
    <div className="error-message" role="alert">
      <span className="error-icon" aria-hidden="true">!</span>
      <span className="error-text">{message}</span>
      {onDismiss && <button type="button" className="link-button" onClick={onDismiss} aria-label="Dismiss error">Dismiss</button>}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function Badge({ tone, children, title }: { tone: 'ok' | 'warn' | 'error' | 'info' | 'muted'; children: ReactNode; title?: string }) {
  return <span className={`badge badge-${tone}`} title={title}>{children}</span>;
}

export function Section({ title, actions, children, id }: { title: string; actions?: ReactNode; children: ReactNode; id?: string }) {
  const headingId = id ?? `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <header className="card-header">
        <h2 id={headingId}>{title}</h2>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      <div className="card-body">{children}</div>
    </section>
  );
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A snapshot area's error code as SNAPSHOTINFO gives it (0 or a negative errno), with the errno's name: "-28 (ENOSPC)". */
export function errorCodeLabel(code: number): string {
  if (code === 0) return 'none';
  const name = errnoName(Math.abs(code));
  return name ? `${code} (${name})` : String(code);
}

/**
 * The area's error code says the difference storage ran out (ENOSPC): more storage is the cure.
 * Another errno (EIO: the storage's own read or write failed) is not cured by more of it.
 */
export function storageRanOut(code: number): boolean {
  return code !== 0 && errnoName(Math.abs(code)) === 'ENOSPC';
}
