import { useState, type FormEvent } from 'react';
import type { DeviceSummary, WorkloadSpec } from '../../../shared/contract';
import { formatBytes } from '../../../shared/units';
import { useApiClient } from '../../app/apiContext';
import { refreshLists } from '../../app/connect';
import { Badge, EmptyState, ErrorMessage, Section, Size } from '../../components/common';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useAction } from '../../components/useAction';
import { useAppStore, useAppStoreApi } from '../../store';
import { validateDeviceForm, validateWorkloadForm } from './emulatorForms';

export function EmulatorPanel() {
  return (
    <div className="two-col">
      <EmulatedDevices />
      <Workloads />
    </div>
  );
}

function EmulatedDevices() {
  const client = useApiClient();
  const store = useAppStoreApi();
  const devices = useAppStore((s) => s.devices).filter((d) => d.emulated);
  const [name, setName] = useState('');
  const [sizeText, setSizeText] = useState('1G');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [removing, setRemoving] = useState<string | null>(null);
  const create = useAction(async (v: { name: string; sizeBytes: number }) => {
    await client.api.emuCreateDevice(v);
    setName('');
    await refreshLists(client, store);
  });
  const remove = useAction(async (n: string) => {
    await client.api.emuRemoveDevice({ name: n });
    await refreshLists(client, store);
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateDeviceForm(name.trim(), sizeText);
    if (!result.ok) return setErrors(result.errors);
    setErrors({});
    void create.run(result.value);
  };

  return (
    <Section title="Emulated devices">
      {devices.length === 0 ? <EmptyState title="No emulated devices">Create one below to try tracking and snapshots.</EmptyState> : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Emulated devices (scrolls sideways)"><table className="data-table">
          <thead><tr><th scope="col">Device</th><th scope="col" className="num">Size</th><th scope="col">State</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.path}>
                <th scope="row"><code>{d.path}</code></th>
                <td className="num"><Size bytes={d.capacitySectors * 512} /></td>
                <td>{d.snapshotId ? <Badge tone="info">in snapshot</Badge> : d.tracked ? <Badge tone="ok">tracked</Badge> : <Badge tone="muted">idle</Badge>}</td>
                <td className="actions"><button type="button" onClick={() => setRemoving(d.name)} aria-label={`Remove ${d.path}`}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      <ErrorMessage message={remove.error} onDismiss={remove.clearError} />
      <form className="spaced" onSubmit={submit} noValidate aria-label="Create emulated device">
        <div className="form-row">
          <div className="field">
            <label htmlFor="emu-name">Name</label>
            <input id="emu-name" value={name} placeholder="disk1" aria-invalid={errors.name !== undefined} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="emu-size">Size</label>
            <input id="emu-size" value={sizeText} aria-invalid={errors.size !== undefined} onChange={(e) => setSizeText(e.target.value)} />
          </div>
          <button type="submit" className="primary create-device" disabled={create.pending}>Create device</button>
        </div>
        {errors.name && <p className="field-error">{errors.name}</p>}
        {errors.size && <p className="field-error">{errors.size}</p>}
        <ErrorMessage message={create.error} onDismiss={create.clearError} />
      </form>
      {removing && (
        <ConfirmDialog
          title={`Remove /dev/${removing}?`}
          confirmLabel="Remove"
          danger
          pending={remove.pending}
          confirmDisabled={removalBlocked(devices.find((d) => d.name === removing))}
          error={remove.error}
          onCancel={() => { remove.clearError(); setRemoving(null); }}
          onConfirm={() => void remove.run(removing).then((ok) => ok && setRemoving(null))}
        >
          <RemoveConsequences device={devices.find((d) => d.name === removing) ?? null} />
        </ConfirmDialog>
      )}
    </Section>
  );
}

/** A tracked device, or one in a snapshot, is refused with EBUSY: the dialog says why and offers no Remove that cannot work. */
function removalBlocked(device: DeviceSummary | undefined): boolean {
  return device !== undefined && (device.snapshotId !== null || device.tracked);
}

/** What stands in the way of removing an emulated device, said before the backend answers EBUSY. */
function RemoveConsequences({ device }: { device: DeviceSummary | null }) {
  if (device?.snapshotId) {
    return (
      <p>
        <strong>{device.path} is in snapshot {device.snapshotId.slice(0, 8)}</strong> and cannot be removed while it is (the emulator answers EBUSY).
        Destroy the snapshot, then detach the tracker, first.
      </p>
    );
  }
  if (device?.tracked) {
    return <p><strong>{device.path} is tracked</strong> and cannot be removed while it is (the emulator answers EBUSY). Detach its tracker in the Devices list first.</p>;
  }
  return <p>The emulated device and its data file are deleted.</p>;
}

function Workloads() {
  const client = useApiClient();
  const store = useAppStoreApi();
  const workloads = useAppStore((s) => s.workloads);
  const devices = useAppStore((s) => s.devices);
  const [device, setDevice] = useState('');
  const [pattern, setPattern] = useState<WorkloadSpec['pattern']>('hotspot');
  const [blockSizeText, setBlockSizeText] = useState('64K');
  const [rateText, setRateText] = useState('8M');
  const [durationText, setDurationText] = useState('30');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const start = useAction(async (spec: WorkloadSpec) => {
    await client.api.workloadStart(spec);
    store.getState().setWorkloads(await client.api.workloadList({}));
  });
  const stop = useAction(async (id: string) => {
    await client.api.workloadStop({ id });
    store.getState().setWorkloads(await client.api.workloadList({}));
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateWorkloadForm({ device, pattern, blockSizeText, rateText, durationText });
    if (!result.ok) return setErrors(result.errors);
    setErrors({});
    void start.run(result.value);
  };

  return (
    <Section title="Workload generator">
      <form onSubmit={submit} noValidate aria-label="Start workload">
        <div className="form-grid">
          <div className="field">
            <label htmlFor="wl-device">Device</label>
            <select id="wl-device" value={device} aria-invalid={errors.device !== undefined} onChange={(e) => setDevice(e.target.value)}>
              <option value="">Choose…</option>
              {devices.map((d) => <option key={d.path} value={d.path}>{d.path}</option>)}
            </select>
            {errors.device && <p className="field-error">{errors.device}</p>}
          </div>
          <div className="field">
            <label htmlFor="wl-pattern">Pattern</label>
            <select id="wl-pattern" value={pattern} onChange={(e) => setPattern(e.target.value as WorkloadSpec['pattern'])}>
              <option value="sequential">sequential</option>
              <option value="uniform">uniform random</option>
              <option value="hotspot">hotspot (90% in 10%)</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="wl-block">Block size</label>
            <input id="wl-block" value={blockSizeText} aria-invalid={errors.blockSize !== undefined} onChange={(e) => setBlockSizeText(e.target.value)} />
            {errors.blockSize && <p className="field-error">{errors.blockSize}</p>}
          </div>
          <div className="field">
            <label htmlFor="wl-rate">Rate per second</label>
            <input id="wl-rate" value={rateText} aria-invalid={errors.rate !== undefined} aria-describedby="wl-rate-help" onChange={(e) => setRateText(e.target.value)} />
            <p id="wl-rate-help" className={errors.rate ? 'field-error' : 'field-help'}>{errors.rate ?? 'Bytes per second, e.g. 8M; 0 = as fast as possible'}</p>
          </div>
          <div className="field">
            <label htmlFor="wl-duration">Duration (seconds)</label>
            <input id="wl-duration" value={durationText} inputMode="decimal" aria-invalid={errors.duration !== undefined} onChange={(e) => setDurationText(e.target.value)} />
            {errors.duration && <p className="field-error">{errors.duration}</p>}
          </div>
        </div>
        <div className="button-row"><button type="submit" className="primary" disabled={start.pending}>Start workload</button></div>
        <ErrorMessage message={start.error} onDismiss={start.clearError} />
      </form>
      <h3 className="spaced">Workloads</h3>
      {workloads.length === 0 ? <p className="muted">None started.</p> : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Workloads (scrolls sideways)"><table className="data-table">
          <thead><tr><th scope="col">Id</th><th scope="col">Device</th><th scope="col">Pattern</th><th scope="col" className="num">Written</th><th scope="col">State</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {workloads.map((w) => (
              <tr key={w.id}>
                <th scope="row"><code title={w.id}>{w.id.slice(0, 8)}</code></th>
                <td><code>{w.spec.device}</code></td>
                <td>{w.spec.pattern}, {formatBytes(w.spec.blockSizeBytes)}</td>
                <td className="num"><Size bytes={w.writtenBytes} /> <span className="muted small">({w.writes.toLocaleString('en-US')} writes)</span></td>
                <td>{w.error ? <Badge tone="error" title={w.error}>failed</Badge> : w.running ? <Badge tone="ok">running</Badge> : <Badge tone="muted">done</Badge>}</td>
                <td className="actions">{w.running && <button type="button" onClick={() => void stop.run(w.id)} aria-label={`Stop workload ${w.id}`}>Stop</button>}</td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      <ErrorMessage message={stop.error} onDismiss={stop.clearError} />
    </Section>
  );
}
