// The "which files changed" resolver of the main process: starts jobs, serves their pages
// while they run, caches finished answers per (device, generation, change number, since,
// source), and answers "which file owns this range" for the heatmap.
import type {
  ChangedFileOwner, ChangedFilesPage, ChangedFilesPageArgs, ChangedFilesStartArgs,
} from '../../shared/changedFiles';
import type { Infer } from '../../shared/lazySchema';
import { appError } from '../../shared/errors';
import { ResolveJob, type ResolverHost } from './job';
import type { WalkLimits } from './mounted';

export interface ResolverOptions {
  walk?: Partial<WalkLimits>;
  /** Finished jobs kept (cache); running ones are never dropped. */
  keepJobs?: number;
}

const DEFAULT_WALK: WalkLimits = { maxFiles: 2_000_000, maxMs: 10 * 60_000 };
const MAX_RANGES_RETURNED = 100_000;
const RUNNING_STALE_MS = 2000;

export class ChangedFilesResolver {
  private readonly jobs = new Map<string, ResolveJob>();
  private readonly byKey = new Map<string, ResolveJob>();
  private readonly walk: WalkLimits;
  private readonly keepJobs: number;

  constructor(private readonly host: ResolverHost, options: ResolverOptions = {}) {
    this.walk = { ...DEFAULT_WALK, ...options.walk };
    this.keepJobs = options.keepJobs ?? 8;
  }

  async start(args: ChangedFilesStartArgs): Promise<{ jobId: string; cached: boolean }> {
    const info = await this.host.cbtInfo(args.device);
    if (args.sinceChangeNumber > info.changesNumber) {
      throw appError('EBADARG', `since change number ${args.sinceChangeNumber} is ahead of ${args.device}'s last change number ${info.changesNumber}`, { device: args.device });
    }
    const choice = args.source ?? 'auto';
    const key = [args.device, info.generationId, info.changesNumber, args.sinceChangeNumber, choice].join('|');
    const known = this.byKey.get(key);
    if (known && !args.refresh && (known.state === 'running' || known.state === 'done' || known.state === 'unresolvable')) {
      known.starts++;
      return { jobId: known.id, cached: known.state !== 'running' };
    }
    const job = new ResolveJob(args.device, args.sinceChangeNumber, info, this.host, choice, this.walk);
    this.jobs.set(job.id, job);
    this.byKey.set(key, job);
    this.prune();
    return { jobId: job.id, cached: false };
  }

  page(args: Infer<typeof ChangedFilesPageArgs>): ChangedFilesPage {
    const job = this.job(args.jobId);
    const c = job.collector;
    const offset = args.offset ?? 0;
    // While a run goes on, polls reuse an order at most this old: sorting must not starve the tools' output.
    const staleMs = job.state === 'running' ? RUNNING_STALE_MS : 0;
    return {
      jobId: job.id,
      device: job.device,
      state: job.state,
      reason: job.reason,
      notes: [...job.notes],
      source: job.source,
      generationId: job.info.generationId,
      sinceChangeNumber: job.sinceChangeNumber,
      blockSizeBytes: job.info.blockSizeBytes,
      progress: { ...job.progress },
      elapsedMs: job.elapsedMs,
      totals: c.totals(),
      fileCount: c.fileCount,
      offset,
      files: c.page(offset, args.limit ?? 100, args.sort ?? 'changedBytes', args.descending ?? true, staleMs),
      directories: c.directories(args.directories ?? 20, staleMs),
      cached: job.starts > 1,
    };
  }

  cancel(jobId: string): void {
    this.job(jobId).cancel();
  }

  /** Waits for a job to end (CLI, tests). */
  async wait(jobId: string): Promise<void> {
    await this.job(jobId).done;
  }

  fileRanges(jobId: string, path: string): { path: string; ranges: { offsetBytes: number; lengthBytes: number }[]; truncated: boolean } {
    const pieces = this.job(jobId).collector.piecesOf(path);
    if (!pieces) throw appError('EBADARG', `no changed file ${path} in this answer`, { path });
    const ranges: { offsetBytes: number; lengthBytes: number }[] = [];
    for (let i = 0; i < pieces.length && ranges.length < MAX_RANGES_RETURNED; i += 2) ranges.push({ offsetBytes: pieces[i]!, lengthBytes: pieces[i + 1]! });
    ranges.sort((a, b) => a.offsetBytes - b.offsetBytes);
    return { path, ranges, truncated: ranges.length < pieces.length / 2 };
  }

  owner(jobId: string, offsetBytes: number, lengthBytes: number): ChangedFileOwner {
    return this.job(jobId).collector.ownerOf(offsetBytes, lengthBytes);
  }

  close(): void {
    for (const job of this.jobs.values()) job.cancel();
  }

  private job(jobId: string): ResolveJob {
    const job = this.jobs.get(jobId);
    if (!job) throw appError('EBADARG', `no changed-files job ${jobId} (finished answers are kept for the last ${this.keepJobs} runs)`, { jobId });
    return job;
  }

  private prune(): void {
    const ended = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const job of ended.slice(0, Math.max(0, ended.length - this.keepJobs))) {
      this.jobs.delete(job.id);
      for (const [k, v] of this.byKey) if (v === job) this.byKey.delete(k);
    }
  }
}
