// The fake API's "which files changed": every changed range is given to one of a few made-up
// files by its position, so the panel can be developed and screenshotted without a resolver.
import type { BlksnapApi } from '../../shared/contract';
import type { ChangedFile } from '../../shared/changedFiles';
import { changedRanges } from '../../shared/cbt';

const NAMES = ['/var/lib/postgresql/15/main/base/16384/2619', '/var/log/journal/system.journal', '/home/ada/videos/talk.mkv', '/var/cache/apt/pkgcache.bin', '/etc/ld.so.cache'];

type Methods = Pick<BlksnapApi, 'changedFilesStart' | 'changedFilesPage' | 'changedFilesCancel' | 'changedFileRanges' | 'changedFileOwner'>;

export function fakeChangedFiles(readMap: (device: string) => { map: Uint8Array; blockSizeBytes: number; generation: string }): Methods {
  const jobs = new Map<string, { device: string; since: number; files: (ChangedFile & { ranges: { offsetBytes: number; lengthBytes: number }[] })[]; total: number }>();
  const fileAt = (offset: number) => NAMES[Math.floor(offset / (64 * 2 ** 20)) % NAMES.length]!;
  return {
    changedFilesStart: async ({ device, sinceChangeNumber }) => {
      const { map, blockSizeBytes } = readMap(device);
      const byName = new Map<string, ChangedFile & { ranges: { offsetBytes: number; lengthBytes: number }[] }>();
      let total = 0;
      for (const r of changedRanges(map, blockSizeBytes, sinceChangeNumber)) {
        const offsetBytes = r.offsetSectors * 512;
        const lengthBytes = r.countSectors * 512;
        total += lengthBytes;
        const path = fileAt(offsetBytes);
        const f = byName.get(path) ?? { path, kind: 'file' as const, changedBytes: 0, sizeBytes: 2 ** 30, mtimeMs: Date.now(), ranges: [] };
        f.changedBytes += lengthBytes;
        f.ranges.push({ offsetBytes, lengthBytes });
        byName.set(path, f);
      }
      const jobId = `fake-${jobs.size + 1}`;
      jobs.set(jobId, { device, since: sinceChangeNumber, files: [...byName.values()].sort((a, b) => b.changedBytes - a.changedBytes), total });
      return { jobId, cached: false };
    },
    changedFilesPage: async ({ jobId, offset = 0, limit = 100 }) => {
      const job = jobs.get(jobId) ?? fail(jobId);
      const { blockSizeBytes, generation } = readMap(job.device);
      const dirs = new Map<string, number>();
      for (const f of job.files) dirs.set(f.path.slice(0, f.path.lastIndexOf('/')), (dirs.get(f.path.slice(0, f.path.lastIndexOf('/'))) ?? 0) + f.changedBytes);
      return {
        jobId, device: job.device, state: 'done', reason: null, notes: ['fake data: no filesystem was read'],
        source: { kind: 'image', label: 'snapshot image (fake)', consistent: true, readAtMs: Date.now() },
        generationId: generation, sinceChangeNumber: job.since, blockSizeBytes,
        progress: { phase: 'done', done: 1, total: 1, filesSeen: job.files.length }, elapsedMs: 5,
        totals: { incrementalBytes: job.total, fileBytes: job.total, metadataBytes: 0, freeBytes: 0, unresolvedBytes: 0 },
        fileCount: job.files.length, offset,
        files: job.files.slice(offset, offset + limit).map(({ ranges: _r, ...f }) => f),
        directories: [...dirs].map(([path, changedBytes]) => ({ path, changedBytes, files: 1 })), cached: false,
      };
    },
    changedFilesCancel: async () => ({ ok: true }),
    changedFileRanges: async ({ jobId, path }) => {
      const f = (jobs.get(jobId) ?? fail(jobId)).files.find((x) => x.path === path);
      return { path, ranges: f?.ranges ?? [], truncated: false };
    },
    changedFileOwner: async ({ offsetBytes, lengthBytes }) => ({ files: [{ path: fileAt(offsetBytes), bytes: lengthBytes }], metadataBytes: 0, freeBytes: 0 }),
  };
}

function fail(jobId: string): never {
  throw { code: 'EBADARG', message: `no changed-files job ${jobId}`, details: {} };
}
