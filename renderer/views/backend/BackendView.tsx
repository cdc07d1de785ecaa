import { useState } from 'react';
import type { DoctorReport } from '../../../shared/contract';
import type { Capabilities } from '../../../shared/schemas';
import { useApi } from '../../app/apiContext';
import { Badge, ErrorMessage, Section } from '../../components/common';
import { useAction } from '../../components/useAction';
import { useAppStore } from '../../store';
import { EmulatorPanel } from './EmulatorPanel';
import { storageSupport } from './storageSupport';

export function BackendView() {
  const backend = useAppStore((s) => s.backend);
  const parameters = useAppStore((s) => s.parameters);
  const parametersError = useAppStore((s) => s.parametersError);
  const api = useApi();
  const [report, setReport] = useState<DoctorReport | null>(null);
  const doctor = useAction(async () => setReport(await api.doctor({})));

  if (!backend) return <div className="view"><h1>Backend</h1><p className="muted">Connecting…</p></div>;
  const v = backend.version;
  const caps = backend.capabilities;
  return (
    <div className="view">
      <header className="view-header">
        <h1>Backend</h1>
        <p className="view-subtitle">
          <Badge tone={backend.kind === 'kernel' ? 'ok' : 'info'}>{backend.kind === 'kernel' ? 'kernel module' : 'emulator'}</Badge>
          <span>{backend.dialectLabel}</span>
          {!backend.verified && <Badge tone="warn" title="The spec marks this dialect's layout as inferred or only checked against the spec, not against a running module">unverified dialect</Badge>}
        </p>
      </header>
      <div className="two-col">
        <Section title="Active backend">
          <dl className="kv">
            <dt>Backend</dt><dd>{backend.kind === 'kernel' ? 'Kernel module (ioctl)' : 'Emulator (file-backed devices)'}</dd>
            <dt>Why</dt><dd>{backend.reason}</dd>
            <dt>Dialect</dt><dd>{backend.dialectLabel} <code className="muted">({backend.dialect})</code></dd>
            <dt>Module version</dt><dd>{v.major}.{v.minor}.{v.revision}.{v.build}</dd>
            <dt>Control node</dt><dd>{backend.controlNode ? <code>{backend.controlNode}</code> : <span className="muted">none</span>}</dd>
            {backend.stateDir && <><dt>Emulator state</dt><dd><code>{backend.stateDir}</code></dd></>}
          </dl>
          <h3 className="spaced">What this dialect does</h3>
          <ul className="doctor-list">
            <li>{caps.explicitAttach ? 'Trackers are attached explicitly.' : 'Trackers appear when a snapshot is created (no attach).'}</li>
            <li>{caps.addAfterCreate ? 'Devices can be added to a snapshot after create.' : 'The device list is fixed at snapshot create.'}</li>
            <li>{caps.cbtMapNeedsTakenSnapshot ? 'CBT maps are readable only while the device is in a taken snapshot.' : 'CBT maps are readable whenever the device is tracked.'}</li>
            <StorageLines capabilities={caps} />
            {caps.maxSnapshots !== null && <li>At most {caps.maxSnapshots} snapshot{caps.maxSnapshots === 1 ? '' : 's'} at a time.</li>}
            <li>Event codes: {Object.entries(caps.eventCodes).map(([code, name]) => `${code} = ${name}`).join(', ')}.</li>
          </ul>
        </Section>
        <Section title="Module parameters">
          {parametersError ? <ErrorMessage message={`The module parameters could not be read: ${parametersError}`} /> : parameters === null ? <p className="muted">Loading…</p> : Object.keys(parameters).length === 0 ? <p className="muted">No parameters reported.</p> : (
            <div className="table-scroll" tabIndex={0} role="region" aria-label="Module parameters (scrolls sideways)"><table className="data-table">
              <thead><tr><th scope="col">Parameter</th><th scope="col" className="num">Value</th></tr></thead>
              <tbody>
                {Object.entries(parameters).map(([name, value]) => (
                  <tr key={name}><th scope="row"><code>{name}</code></th><td className="num">{value.toLocaleString('en-US')}</td></tr>
                ))}
              </tbody>
            </table></div>
          )}
        </Section>
      </div>
      <Section title="Doctor" actions={<button type="button" onClick={() => void doctor.run()} disabled={doctor.pending}>{doctor.pending ? 'Checking…' : 'Run doctor'}</button>}>
        <ErrorMessage message={doctor.error} />
        {!report ? <p className="muted">The doctor checks the kernel, the module nodes and parameters, and explains what is missing.</p> : <DoctorOutput report={report} />}
      </Section>
      {backend.kind === 'emulator' && <EmulatorPanel />}
    </div>
  );
}

function StorageLines({ capabilities }: { capabilities: Capabilities }) {
  const storage = storageSupport(capabilities);
  return (
    <>
      <li>Difference storage: {storage.module}</li>
      <li>{storage.app}{storage.notOffered && <> {storage.notOffered}</>}</li>
    </>
  );
}

function DoctorOutput({ report }: { report: DoctorReport }) {
  return (
    <div className="doctor" aria-label="Doctor report">
      <dl className="kv">
        <dt>Kernel</dt><dd><code>{report.kernelRelease}</code></dd>
        <dt>Dialect found</dt><dd>{report.dialect ?? <span className="muted">none</span>}</dd>
      </dl>
      <h3 className="spaced">Modules</h3>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Doctor: modules (scrolls sideways)"><table className="data-table">
        <thead><tr><th scope="col">Module</th><th scope="col">Loaded</th><th scope="col">Version</th><th scope="col">Note</th></tr></thead>
        <tbody>{report.modules.map((m) => <tr key={m.name}><th scope="row"><code>{m.name}</code></th><td>{m.loaded ? <Badge tone="ok">loaded</Badge> : <Badge tone="muted">not loaded</Badge>}</td><td>{m.version ?? '—'}</td><td className="wrap">{m.note ?? ''}</td></tr>)}</tbody>
      </table></div>
      <h3 className="spaced">Nodes</h3>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Doctor: nodes (scrolls sideways)"><table className="data-table">
        <thead><tr><th scope="col">Path</th><th scope="col">Exists</th><th scope="col">Mode</th><th scope="col">Note</th></tr></thead>
        <tbody>{report.nodes.map((n) => <tr key={n.path}><th scope="row"><code>{n.path}</code></th><td>{n.exists ? 'yes' : 'no'}</td><td>{n.mode ?? '—'}</td><td className="wrap">{n.note}</td></tr>)}</tbody>
      </table></div>
      {report.reasons.length > 0 && <><h3 className="spaced">Findings</h3><ul className="doctor-list">{report.reasons.map((r) => <li key={r}>{r}</li>)}</ul></>}
      {report.fixes.length > 0 && <><h3 className="spaced">What to do</h3><ul className="doctor-list">{report.fixes.map((f) => <li key={f}>{f}</li>)}</ul></>}
    </div>
  );
}
