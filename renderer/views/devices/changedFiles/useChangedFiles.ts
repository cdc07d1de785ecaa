// One "which files changed" job as the panel sees it: start, follow its pages while it runs
// (polling, since the contract pages rather than pushes), sort, cancel.
import { useCallback, useEffect, useState } from 'react';
import type { ChangedFilesPage, ChangedFilesSort } from '../../../../shared/changedFiles';
import { useApi } from '../../../app/apiContext';
import { errorMessage } from '../../../app/errors';

const POLL_MS = 500;
export const PAGE_ROWS = 50;

export interface SortState { column: ChangedFilesSort; descending: boolean }

export function useChangedFiles(device: string) {
  const api = useApi();
  const [jobId, setJobId] = useState<string | null>(null);
  const [page, setPage] = useState<ChangedFilesPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sort, setSort] = useState<SortState>({ column: 'changedBytes', descending: true });
  const [offset, setOffset] = useState(0);

  const start = useCallback(async (sinceChangeNumber: number, source: 'auto' | 'image' | 'mounted', refresh: boolean) => {
    setError(null);
    setPage(null);
    setOffset(0);
    try {
      const started = await api.changedFilesStart({ device, sinceChangeNumber, source, refresh });
      setJobId(started.jobId);
    } catch (err) {
      setError(errorMessage(err));
      setJobId(null);
    }
  }, [api, device]);

  const cancel = useCallback(async () => {
    if (jobId) await api.changedFilesCancel({ jobId }).catch(() => undefined);
  }, [api, jobId]);

  useEffect(() => {
    if (!jobId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const poll = async () => {
      try {
        const next = await api.changedFilesPage({ jobId, offset, limit: PAGE_ROWS, sort: sort.column, descending: sort.descending, directories: 10 });
        if (stopped) return;
        setPage(next);
        if (next.state === 'running') timer = setTimeout(() => void poll(), POLL_MS);
      } catch (err) {
        if (!stopped) setError(errorMessage(err));
      }
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [api, jobId, offset, sort]);

  return { jobId, page, error, sort, setSort, offset, setOffset, start, cancel };
}
