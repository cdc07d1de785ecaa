// "Changed files" of the device view: which files and folders hold the bytes changed since N,
// from which source (the snapshot image, consistent; or the mounted filesystem, live), with
// totals that add up to the incremental size. Choosing a file tints its blocks on the map.
import { memo, useEffect, useState } from 'react';
import type { ChangedFile, ChangedFilesPage, ChangedFilesSort } from '../../../../shared/changedFiles';
import { formatBytes } from '../../../../shared/units';
import { useApi } from '../../../app/apiContext';
import { errorMessage } from '../../../app/errors';
import { Badge, ErrorMessage, Section, Size } from '../../../components/common';
import type { BlockSelection } from '../HeatmapCanvas';
import { rangesToBlocks } from './blocks';
import { ChangedFilesChart } from './ChangedFilesChart';
import { PAGE_ROWS, useChangedFiles, type SortState } from './useChangedFiles';

export interface ChangedFilesPanelProps {
  device: string;
  blockSizeBytes: number;
  sinceChangeNumber: number | null;
  /** The job whose answer the heatmap tooltip asks (null until one finished). */
  onJob: (jobId: string | null) => void;
  onHighlight: (highlight: { path: string; blocks: BlockSelection[] } | null) => void;
  highlightedPath: string | null;
}

const COLUMNS: { key: ChangedFilesSort; label: string }[] = [
  { key: 'path', label: 'Path' }, { key: 'changedBytes', label: 'Changed' }, { key: 'sizeBytes', label: 'Size' }, { key: 'mtimeMs', label: 'Modified' },
];

export const ChangedFilesPanel = memo(function ChangedFilesPanel({ device, blockSizeBytes, sinceChangeNumber, onJob, onHighlight, highlightedPath }: ChangedFilesPanelProps) {
  const api = useApi();
  const job = useChangedFiles(device);
  const [source, setSource] = useState<'auto' | 'image' | 'mounted'>('auto');
  const [showError, setShowError] = useState<string | null>(null);
  const page = job.page;
  const running = page?.state === 'running';

  const run = async (refresh: boolean) => {
    if (sinceChangeNumber === null) return;
    onJob(null);
    onHighlight(null);
    await job.start(sinceChangeNumber, source, refresh);
  };
  const finishedJob = page && page.state !== 'running' ? page.jobId : null;
  useEffect(() => onJob(finishedJob), [finishedJob, onJob]);

  const showFile = async (file: ChangedFile) => {
    if (!job.jobId) return;
    if (highlightedPath === file.path) return onHighlight(null);
    try {
      const { ranges } = await api.changedFileRanges({ jobId: job.jobId, path: file.path });
      onHighlight({ path: file.path, blocks: rangesToBlocks(ranges, blockSizeBytes) });
      setShowError(null);
    } catch (err) {
      setShowError(errorMessage(err));
    }
  };

  return (
    <Section title="Changed files" id="changed-files">
      <div className="form-row">
        <span>Since change number {sinceChangeNumber ?? '—'}</span>
        <label htmlFor="changed-files-source">Source</label>
        <select id="changed-files-source" value={source} onChange={(e) => setSource(e.target.value as typeof source)}>
          <option value="auto">automatic</option>
          <option value="image">snapshot image</option>
          <option value="mounted">mounted filesystem</option>
        </select>
        <button type="button" disabled={sinceChangeNumber === null || running} onClick={() => void run(false)}>Find changed files</button>
        {page && !running && <button type="button" onClick={() => void run(true)}>Resolve again</button>}
        {running && <button type="button" onClick={() => void job.cancel()}>Cancel</button>}
      </div>
      <p className="small muted">
        Which files own the blocks changed since the change number set under Incremental backup: read from the taken snapshot image (debugfs, xfs_db), or else from the mounted filesystem (FIEMAP, live).
      </p>
      <ErrorMessage message={job.error ?? showError} onDismiss={() => setShowError(null)} />
      {page && <Answer page={page} sort={job.sort} onSort={(s) => { job.setSort(s); job.setOffset(0); }} onOffset={job.setOffset} onShow={(f) => void showFile(f)} highlightedPath={highlightedPath} />}
    </Section>
  );
});

function Answer({ page, sort, onSort, onOffset, onShow, highlightedPath }: {
  page: ChangedFilesPage; sort: SortState; onSort: (s: SortState) => void; onOffset: (n: number) => void; onShow: (f: ChangedFile) => void; highlightedPath: string | null;
}) {
  const t = page.totals;
  const running = page.state === 'running';
  return (
    <div className="changed-files" aria-busy={running}>
      {page.source && (
        <p data-testid="changed-files-source">
          {page.source.label}{' '}
          {page.source.consistent ? <Badge tone="ok">as at take</Badge> : <Badge tone="warn" title="The filesystem is read while it is in use">live, may race with writes</Badge>}
          {' '}<span className="muted small">read {new Date(page.source.readAtMs).toLocaleTimeString('en-GB', { hour12: false })}{page.cached ? ' · cached' : ''} · {(page.elapsedMs / 1000).toFixed(1)} s</span>
        </p>
      )}
      {running && (
        <p aria-live="polite">
          <progress value={page.progress.done} max={Math.max(page.progress.total ?? 0, page.progress.done, 1)} aria-label="Resolving" />{' '}
          {page.progress.phase} · {page.progress.filesSeen.toLocaleString('en-US')} files seen · {page.fileCount.toLocaleString('en-US')} changed so far
        </p>
      )}
      {page.state !== 'running' && page.state !== 'done' && <p className="notice" role="note">{page.reason ?? page.state}</p>}
      <p className="summary" data-testid="changed-files-totals">
        Incremental <strong><Size bytes={t.incrementalBytes} /></strong> = files <Size bytes={t.fileBytes} /> + metadata/journal <Size bytes={t.metadataBytes} /> + free or unowned <Size bytes={t.freeBytes} />
        {t.unresolvedBytes > 0 && <> + unresolved <Size bytes={t.unresolvedBytes} /></>}
      </p>
      {page.offset === 0 && sort.column === 'changedBytes' && sort.descending && <ChangedFilesChart files={page.files} />}
      {page.fileCount > 0 && (
        <table className="data-table changed-files-table">
          <caption className="visually-hidden">Changed files, {page.fileCount} in all</caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" aria-sort={sort.column === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" className="link-button" onClick={() => onSort({ column: c.key, descending: sort.column === c.key ? !sort.descending : c.key !== 'path' })}>
                    {c.label}{sort.column === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
              <th scope="col"><span className="visually-hidden">Map</span></th>
            </tr>
          </thead>
          <tbody>
            {page.files.map((f) => (
              <tr key={f.path} aria-selected={highlightedPath === f.path}>
                <td><code>{f.path}{f.kind === 'directory' ? '/' : ''}</code></td>
                <td><Size bytes={f.changedBytes} /></td>
                <td>{f.sizeBytes === null ? '—' : formatBytes(f.sizeBytes)}</td>
                <td>{f.mtimeMs === null ? '—' : new Date(f.mtimeMs).toLocaleString('en-GB', { hour12: false })}</td>
                <td><button type="button" className="link-button" onClick={() => onShow(f)} aria-pressed={highlightedPath === f.path} aria-label={`Show ${f.path} on the map`}>{highlightedPath === f.path ? 'Hide' : 'Show on map'}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page.fileCount > PAGE_ROWS && (
        <div className="button-row">
          <button type="button" disabled={page.offset === 0} onClick={() => onOffset(Math.max(0, page.offset - PAGE_ROWS))}>Previous</button>
          <span className="small muted">{page.offset + 1}–{Math.min(page.fileCount, page.offset + PAGE_ROWS)} of {page.fileCount.toLocaleString('en-US')}</span>
          <button type="button" disabled={page.offset + PAGE_ROWS >= page.fileCount} onClick={() => onOffset(page.offset + PAGE_ROWS)}>Next</button>
        </div>
      )}
      {page.directories.length > 0 && (
        <>
          <h3>Top folders</h3>
          <table className="data-table">
            <thead><tr><th scope="col">Folder</th><th scope="col">Changed</th><th scope="col">Files</th></tr></thead>
            <tbody>
              {page.directories.map((d) => (
                <tr key={d.path}><td><code>{d.path}/</code></td><td><Size bytes={d.changedBytes} /></td><td>{d.files.toLocaleString('en-US')}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {page.notes.length > 0 && <ul className="small muted">{page.notes.map((n) => <li key={n}>{n}</li>)}</ul>}
    </div>
  );
}
