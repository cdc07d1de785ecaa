// Difference-storage fill: used (copied chunks), allocated (what the storage holds now) and the
// limit. Whatever the backend cannot know is shown as "unknown", never estimated.
import type { DiffStorageUsage } from '../../../shared/schemas';
import { formatBytes } from '../../../shared/units';
import { Size } from '../../components/common';

const toBytes = (sectors: number | null) => (sectors === null ? null : sectors * 512);

/**
 * `reservedBytes`: where the module starts using this snapshot's storage (storageStartBytes: 2 MiB
 * for path storage on lk6.15 and the Veeam modules, 0 on v6 and v7 and for range storage, null
 * where the storage mode is not known), explained when that is all that is used.
 */
export function FillGauge({ usage, reservedBytes }: { usage: DiffStorageUsage; reservedBytes: number | null }) {
  const used = toBytes(usage.filledSectors);
  const allocated = toBytes(usage.capacitySectors);
  const limit = toBytes(usage.limitSectors);
  // Full is the limit, or the allocation where that is larger (the service's rule, spec §3.6).
  const full = limit === null && allocated === null ? null : Math.max(limit ?? 0, allocated ?? 0);
  const scale = Math.max(full ?? 0, used ?? 0);
  const x = (bytes: number | null) => (bytes === null || scale === 0 ? 0 : (Math.min(bytes, scale) / scale) * 1000);
  const percent = used !== null && full ? Math.min(100, Math.round((used / full) * 100)) : null;
  const onlyReserve = reservedBytes !== null && used !== null && used <= reservedBytes && used > 0;
  const label = [
    `Used ${used === null ? 'unknown' : formatBytes(used)}`,
    `allocated ${allocated === null ? 'unknown' : formatBytes(allocated)}`,
    `limit ${limit === null ? 'unknown' : formatBytes(limit)}`,
    percent === null ? null : `${percent}% of the storage used`,
  ].filter(Boolean).join(', ');

  return (
    <div className="gauge">
      <svg viewBox="0 0 1000 22" preserveAspectRatio="none" role="img" aria-label={`Difference storage fill: ${label}`}>
        <rect x="0" y="0" width="1000" height="22" rx="4" fill="#eef1f5" />
        {allocated !== null && <rect x="0" y="0" width={x(allocated)} height="22" rx="4" fill="#9cc0f2" />}
        {used !== null && <rect x="0" y="0" width={x(used)} height="22" rx="4" fill={percent !== null && percent >= 80 ? '#d9822b' : '#2563c9'} />}
        {limit !== null && <rect x={Math.max(0, x(limit) - 3)} y="0" width="3" height="22" fill="#1c2330" />}
      </svg>
      <dl className="gauge-legend">
        <div><span className="dot dot-limit" aria-hidden="true" /><dt>Limit</dt><dd><Size bytes={limit} /></dd></div>
        <div><span className="dot dot-allocated" aria-hidden="true" /><dt>Allocated</dt><dd><Size bytes={allocated} /></dd></div>
        <div><span className="dot dot-used" aria-hidden="true" /><dt>Used</dt><dd><Size bytes={used} />{percent !== null && <span className="muted"> ({percent}%)</span>}</dd></div>
      </dl>
      {onlyReserve && (
        <p className="small muted">Used starts at {formatBytes(reservedBytes)}: the module keeps the first {formatBytes(reservedBytes)} of the storage unused; copied chunks come after it.</p>
      )}
      {limit === 0 && (
        <p className="field-warning" role="note">The limit is 0 bytes: the storage cannot grow, and the first copy that does not fit in what is allocated overflows the snapshot.</p>
      )}
      <p className="small muted">Source: {usage.source}{usage.overflowed ? ' · overflowed' : ''}</p>
    </div>
  );
}
