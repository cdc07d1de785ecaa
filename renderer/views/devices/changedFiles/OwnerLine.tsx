// The heatmap tooltip's "Files" line: which files own the changed bytes of the hovered cell,
// asked of the resolver's finished answer (debounced: a pointer sweeps many cells).
import { useEffect, useState } from 'react';
import type { ChangedFileOwner } from '../../../../shared/changedFiles';
import { formatBytes } from '../../../../shared/units';
import { useApi } from '../../../app/apiContext';

const DEBOUNCE_MS = 120;

export function OwnerLine({ jobId, offsetBytes, lengthBytes }: { jobId: string; offsetBytes: number; lengthBytes: number }) {
  const api = useApi();
  const [owner, setOwner] = useState<ChangedFileOwner | null>(null);
  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      api.changedFileOwner({ jobId, offsetBytes, lengthBytes }).then((o) => { if (!cancelled) setOwner(o); }, () => undefined);
    }, DEBOUNCE_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [api, jobId, offsetBytes, lengthBytes]);
  if (!owner) return <><dt>Files</dt><dd className="muted">…</dd></>;
  const parts = owner.files.slice(0, 3).map((f) => `${f.path} (${formatBytes(f.bytes)})`);
  if (owner.files.length > 3) parts.push(`${owner.files.length - 3} more`);
  if (owner.metadataBytes > 0) parts.push(`metadata ${formatBytes(owner.metadataBytes)}`);
  if (owner.freeBytes > 0) parts.push(`free ${formatBytes(owner.freeBytes)}`);
  return <><dt>Files</dt><dd data-testid="tooltip-owner">{parts.length ? parts.join(', ') : 'no changed bytes here'}</dd></>;
}
