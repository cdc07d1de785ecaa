import { useId, useState } from 'react';
import type { DeviceSummary } from '../../../shared/contract';
import { useApiClient } from '../../app/apiContext';
import { refreshLists } from '../../app/connect';
import { useAppStore, useAppStoreApi } from '../../store';
import { Badge, EmptyState, ErrorMessage, errorCodeLabel, Section, Size } from '../../components/common';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useAction } from '../../components/useAction';
import { shortId } from './format';
import { nearWrap, takesBeforeWrap, wrapWarning } from '../../../shared/cbt';
import { groupDigits } from '../../../shared/units';
import { imageOfText, type ImageOf } from '../../../shared/imageOf';

const plural = (n: number, noun: string) => `${groupDigits(n)} ${noun}${n === 1 ? '' : 's'}`;

type Pending = { kind: 'attach' | 'detach'; device: DeviceSummary; force?: boolean } | null;

export function DevicesView() {
  const devices = useAppStore((s) => s.devices);
  const loaded = useAppStore((s) => s.devicesLoaded);
  const explicitAttach = useAppStore((s) => s.backend?.capabilities.explicitAttach ?? true);
  const navigate = useAppStore((s) => s.navigate);
  const client = useApiClient();
  const store = useAppStoreApi();
  const [pending, setPending] = useState<Pending>(null);
  const [lastError, setLastError] = useState<string | null>(null);
  const action = useAction(async (p: NonNullable<Pending>) => {
    if (p.kind === 'attach') await client.api.attach({ device: p.device.path });
    else await client.api.detach(p.force ? { device: p.device.path, force: true } : { device: p.device.path });
    await refreshLists(client, store);
  });

  const confirm = async (force = false) => {
    if (!pending) return;
    const ok = await action.run(force ? { ...pending, force } : pending);
    if (ok) {
      setPending(null);
      setLastError(null);
    }
  };
  const cancel = () => {
    if (action.error) setLastError(action.error);
    action.clearError();
    setPending(null);
  };

  const trackedCount = devices.filter((d) => d.tracked).length;
  return (
    <div className="view">
      <header className="view-header">
        <h1>Devices</h1>
        <p className="view-subtitle">{loaded ? `${plural(devices.length, 'block device')}, ${trackedCount} tracked` : 'Loading…'}</p>
      </header>
      {!explicitAttach && (
        <div className="notice" role="note">
          This module dialect (v1) has no attach operation: a device gets its tracker when a snapshot that includes it is
          created, and keeps it until it is detached. Create a snapshot to start tracking.
        </div>
      )}
      <ErrorMessage message={lastError} onDismiss={() => setLastError(null)} />
      <Section title="Block devices">
        {loaded && devices.length === 0 ? (
          <EmptyState title="No block devices">
            The backend sees no block devices. On the emulator, create one in the Backend panel.
          </EmptyState>
        ) : (
          <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Block devices (scrolls sideways)">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col" className="num">Capacity</th>
                  <th scope="col">Tracker</th>
                  <th scope="col" className="num wide-only">CBT block size</th>
                  <th scope="col" className="num wide-only">Blocks</th>
                  <th scope="col" className="wide-only">Generation</th>
                  <th scope="col" className="num">Change number</th>
                  <th scope="col">Snapshot</th>
                  <th scope="col">Image</th>
                  <th scope="col" className="actions"><span className="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {devices.map((device) => (
                  <DeviceRow
                    key={device.path}
                    device={device}
                    explicitAttach={explicitAttach}
                    onOpen={() => navigate({ view: 'device', path: device.path })}
                    onAction={(kind) => setPending({ kind, device })}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <p className="small muted narrow-only">Block size, block count and generation: on each device's page.</p>
          </>
        )}
      </Section>
      {pending && (
        <ConfirmDialog
          title={pending.kind === 'attach' ? `Attach tracker to ${pending.device.path}?` : `Detach tracker from ${pending.device.path}?`}
          confirmLabel={pending.kind === 'attach' ? 'Attach' : 'Detach'}
          danger={pending.kind === 'detach'}
          pending={action.pending}
          error={action.error}
          onConfirm={() => void confirm()}
          onCancel={cancel}
          extra={pending.kind === 'detach' && action.errorCode === 'EGUARD' ? { label: 'Detach anyway', onClick: () => void confirm(true) } : null}
        >
          {pending.kind === 'attach' ? (
            <p>
              The blksnap filter starts tracking writes to this device in a new CBT map with a new generation. Its change number starts at 0
              and goes up by one at each snapshot take; writes show in the map after the next take.
            </p>
          ) : (
            <>
              <p>Tracking stops and the CBT map is lost: the next backup of this device must be a full backup.</p>
              {pending.device.snapshotId && (
                <p><strong>This device is in snapshot {pending.device.snapshotId.slice(0, 8)}:</strong> detaching it stops its copy-on-write, so the snapshot image silently diverges. Destroy the snapshot first.</p>
              )}
            </>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

function DeviceRow({ device, explicitAttach, onOpen, onAction }: {
  device: DeviceSummary; explicitAttach: boolean; onOpen: () => void; onAction: (kind: 'attach' | 'detach') => void;
}) {
  const cbt = device.cbt;
  const image = device.snapshot?.image ?? '';
  return (
    <tr>
      <th scope="row">
        <button type="button" className="link-button device-link" onClick={onOpen} aria-label={`Open ${device.path}`}>
          {device.path}
        </button>
        <span className="muted small device-meta"> {device.devId.major}:{device.devId.minor}{device.emulated ? ' · emulated' : ''}</span>
      </th>
      <td className="num"><Size bytes={device.capacitySectors * 512} /></td>
      <td>
        {device.tracked ? <Badge tone="ok">tracked</Badge> : <Badge tone="muted">not tracked</Badge>}
      </td>
      <td className="num wide-only">{cbt ? <Size bytes={cbt.blockSizeBytes} /> : '—'}</td>
      <td className="num wide-only">{cbt ? groupDigits(cbt.blockCount) : '—'}</td>
      <td className="wide-only">{cbt ? <code title={cbt.generationId}>{shortId(cbt.generationId)}</code> : '—'}</td>
      <td className="num">{cbt ? <>{cbt.changesNumber}{nearWrap(cbt.changesNumber) && <> <Badge tone="warn" title={wrapWarning(cbt.changesNumber)}>wrap in {takesBeforeWrap(cbt.changesNumber)}</Badge></>}</> : '—'}</td>
      <td>{device.snapshotId ? <code title={device.snapshotId}>{shortId(device.snapshotId)}</code> : <span className="muted">none</span>}</td>
      <td className="wrap">
        {image ? <code className="nowrap">/dev/{image}</code> : <span className="muted">—</span>}
        {device.snapshot && device.snapshot.errorCode !== 0 && <>{' '}<Badge tone="error" title="The image's area is corrupted: its reads fail with EIO">corrupted {errorCodeLabel(device.snapshot.errorCode)}</Badge></>}
      </td>
      <td className="actions">
        {device.tracked ? (
          <button type="button" onClick={() => onAction('detach')} aria-label={`Detach ${device.path}`}>Detach</button>
        ) : device.imageOf ? (
          <ImageAttachRefused path={device.path} of={device.imageOf} explicitAttach={explicitAttach} />
        ) : explicitAttach ? (
          <button type="button" onClick={() => onAction('attach')} aria-label={`Attach ${device.path}`}>Attach</button>
        ) : (
          <span className="muted small" title="v1: trackers appear at snapshot create">at snapshot create</span>
        )}
      </td>
    </tr>
  );
}

/** A snapshot image: the module would accept a tracker on it, the service refuses (shared/imageOf.ts). */
function ImageAttachRefused({ path, of, explicitAttach }: { path: string; of: ImageOf; explicitAttach: boolean }) {
  const id = useId();
  const reason = <span id={id} className="muted small">{imageOfText(of)}: cannot be tracked or put in a snapshot</span>;
  if (!explicitAttach) return reason;
  return (
    <>
      <button type="button" disabled aria-label={`Attach ${path}`} aria-describedby={id}>Attach</button>{' '}{reason}
    </>
  );
}
