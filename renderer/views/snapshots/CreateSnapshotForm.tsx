import { useState, type FormEvent } from 'react';
import type { Capabilities, StorageMode } from '../../../shared/schemas';
import { formatBytes } from '../../../shared/units';
import { useApiClient } from '../../app/apiContext';
import { refreshLists } from '../../app/connect';
import { ErrorMessage, Section } from '../../components/common';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { isErrorInfo } from '../../app/errors';
import { useAction } from '../../components/useAction';
import { useAppStore, useAppStoreApi } from '../../store';
import { limitRule, pathStorageRule } from '../../../shared/limits';
import { imageOfText } from '../../../shared/imageOf';
import { asksForDirectory, checkFormLimit, freeForSnapshot, needsPath, offeredModes, storageModeLabel, validateCreateForm, type CreateFormErrors } from './createForm';

export function CreateSnapshotForm({ capabilities }: { capabilities: Capabilities }) {
  const client = useApiClient();
  const store = useAppStoreApi();
  const devices = useAppStore((s) => s.devices);
  const snapshotCount = useAppStore((s) => s.snapshots.length);
  const atMostSnapshots = capabilities.maxSnapshots !== null && snapshotCount >= capabilities.maxSnapshots;
  const parameters = useAppStore((s) => s.parameters);
  const dialect = useAppStore((s) => s.backend?.dialect ?? null);
  const modes = offeredModes(capabilities);
  const [selected, setSelected] = useState<string[]>([]);
  const [storageMode, setStorageMode] = useState<StorageMode>(modes[0] ?? 'file');
  const [storagePath, setStoragePath] = useState('');
  const [limitText, setLimitText] = useState('2G');
  const [errors, setErrors] = useState<CreateFormErrors>({});
  const [created, setCreated] = useState<string | null>(null);
  type CreateArgs = Parameters<typeof client.api.snapshotCreate>[0];
  /** A request the storage policy refused because its block device holds data: offered as a danger action. */
  const [overwritable, setOverwritable] = useState<CreateArgs | null>(null);
  const [confirmOverwrite, setConfirmOverwrite] = useState(false);
  const action = useAction(async (request: CreateArgs) => {
    setOverwritable(null);
    try {
      const { id } = await client.api.snapshotCreate(request);
      setCreated(id);
    } catch (err) {
      if (isErrorInfo(err) && err.details?.rule === 'device-has-data' && !request.forceStorageDevice) setOverwritable(request);
      throw err;
    }
    await refreshLists(client, store);
  });

  const candidates = devices.filter(freeForSnapshot);
  const rule = limitRule(parameters, capabilities.needsStretchService, pathStorageRule(dialect, capabilities));
  const limitPreview = checkFormLimit(limitText, storageMode, rule);
  // A refusal answered the form as it was: once the form changes, it no longer applies.
  const edited = () => {
    action.clearError();
    setCreated(null);
  };
  const toggle = (path: string, on: boolean) => {
    setSelected((list) => (on ? [...list, path] : list.filter((p) => p !== path)));
    setErrors(({ devices: _devices, ...rest }) => rest);
    edited();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    const result = validateCreateForm({ devices: selected, storageMode, storagePath, limitText }, capabilities, snapshotCount, rule);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    if (await action.run(result.request)) setSelected([]);
  };

  return (
    <Section title="Create snapshot">
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Create snapshot">
        {atMostSnapshots && (
          <p className="notice small" role="note" id="create-at-most">
            This dialect holds {capabilities.maxSnapshots === 1 ? 'one snapshot' : `${capabilities.maxSnapshots} snapshots`} at a time (only the newest is
            reachable in the module): destroy the current one before creating another.
          </p>
        )}
        {!capabilities.addAfterCreate && (
          <p className="notice small">This dialect (v1) fixes the device list at create: choose every device now; none can be added later.</p>
        )}
        <div className="form-grid">
          <fieldset aria-invalid={errors.devices !== undefined} aria-describedby={errors.devices ? 'create-devices-error' : undefined}>
            <legend>Devices{capabilities.addAfterCreate ? ' (optional, more can be added later)' : ''}</legend>
            {candidates.length === 0 && <p className="muted small">No device is free: each is in a snapshot already, or none exists.</p>}
            {candidates.map((d) => (
              <label key={d.path} className="checkbox">
                <input type="checkbox" checked={selected.includes(d.path)} disabled={!!d.imageOf} onChange={(e) => toggle(d.path, e.target.checked)} />
                <code>{d.path}</code>
                <span className="muted small">{formatBytes(d.capacitySectors * 512)}{d.imageOf ? ` · ${imageOfText(d.imageOf)}: cannot be put in a snapshot` : d.tracked ? '' : capabilities.explicitAttach ? ' · not tracked' : ''}</span>
              </label>
            ))}
            {errors.devices && <p id="create-devices-error" className="field-error">{errors.devices}</p>}
          </fieldset>
          <div className="field">
            {modes.length > 1 ? (
              <fieldset>
                <legend>Difference storage</legend>
                {modes.map((mode) => (
                  <label key={mode} className="checkbox">
                    <input type="radio" name="storage-mode" value={mode} checked={storageMode === mode} onChange={() => { setStorageMode(mode); edited(); }} />
                    {storageModeLabel(mode, capabilities)}
                  </label>
                ))}
              </fieldset>
            ) : (
              <p className="small muted">Difference storage: {storageModeLabel(storageMode, capabilities)}</p>
            )}
            {needsPath(storageMode, capabilities) && (
              <>
                <label htmlFor="create-storage-path">{asksForDirectory(storageMode, capabilities) ? 'Storage directory' : storageMode === 'block' ? 'Storage block device' : 'Storage file'}</label>
                <input
                  id="create-storage-path"
                  value={storagePath}
                  placeholder={asksForDirectory(storageMode, capabilities) ? '/var/tmp' : storageMode === 'block' ? '/dev/sdc1' : '/var/tmp/diff_storage'}
                  aria-invalid={errors.storagePath !== undefined}
                  aria-describedby={errors.storagePath ? 'create-path-error' : undefined}
                  onChange={(e) => { setStoragePath(e.target.value); setErrors(({ storagePath: _path, ...rest }) => rest); edited(); }}
                />
                {errors.storagePath && <p id="create-path-error" className="field-error">{errors.storagePath}</p>}
              </>
            )}
          </div>
          <div className="field">
            <label htmlFor="create-limit">Storage limit</label>
            <input
              id="create-limit"
              value={limitText}
              aria-invalid={errors.limit !== undefined}
              aria-describedby="create-limit-help"
              onChange={(e) => { setLimitText(e.target.value); setErrors(({ limit: _limit, ...rest }) => rest); edited(); }}
            />
            <p id="create-limit-help" className={errors.limit ? 'field-error' : 'field-help'}>
              {errors.limit ?? (limitPreview.ok ? `${formatBytes(limitPreview.bytes)} = ${limitPreview.sectors.toLocaleString('en-US')} sectors` : 'Bytes, or with K, M, G, T (binary): 512M, 2G')}
            </p>
            {!errors.limit && limitPreview.ok && limitPreview.warning && <p className="field-warning" role="note">{limitPreview.warning}</p>}
          </div>
        </div>
        <ErrorMessage message={errors.form ?? action.error} onDismiss={errors.form ? () => setErrors(({ form: _form, ...rest }) => rest) : action.clearError} />
        {overwritable && (
          <div className="button-row">
            <button type="button" className="danger" onClick={() => setConfirmOverwrite(true)} disabled={action.pending}>
              Overwrite the data on {overwritable.diffStoragePath}…
            </button>
          </div>
        )}
        {overwritable && confirmOverwrite && (
          <ConfirmDialog
            title="Destroy the data on this device?"
            confirmLabel={`Overwrite ${overwritable.diffStoragePath ?? ''}`}
            danger
            pending={action.pending}
            error={action.error}
            onCancel={() => setConfirmOverwrite(false)}
            onConfirm={() => {
              setConfirmOverwrite(false);
              void action.run({ ...overwritable, forceStorageDevice: true }).then((ok) => ok && setSelected([]));
            }}
          >
            <p>
              <code>{overwritable.diffStoragePath}</code> holds a filesystem or partition table. Used as difference storage, its
              contents are overwritten and cannot be recovered.
            </p>
          </ConfirmDialog>
        )}
        {created && <p className="success" role="status">Snapshot <code>{created}</code> created.</p>}
        <div className="button-row">
          {/* At the dialect's most snapshots the service refuses a create (EGUARD): the note above says why it is off. */}
          <button type="submit" className="primary" disabled={action.pending || atMostSnapshots} aria-describedby={atMostSnapshots ? 'create-at-most' : undefined}>
            {action.pending ? 'Creating…' : 'Create snapshot'}
          </button>
        </div>
      </form>
    </Section>
  );
}
