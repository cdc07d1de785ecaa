// `changedfiles`: which files changed since change number N (issue 18): the top files and
// folders by changed bytes, where the answer comes from, and the totals that add up to the
// incremental size. A progress bar on a terminal; --json (global) or --csv for scripts.
import type { BlksnapApi } from '../../../shared/contract';
import type { ChangedFile, ChangedFilesPage } from '../../../shared/changedFiles';
import { formatBytes } from '../../../shared/units';
import { UsageError } from '../argv';
import { DEVICE_OPTION, withHelp, type Verb, type VerbContext } from './verb';
import { boundedArg } from './common';
import { loadProgressBar } from '../progress';

const POLL_MS = 250;
const CSV_PAGE = 10_000;

export const changedfiles: Verb = {
  name: 'changedfiles',
  purpose: 'blksnapctl: which files changed since change number N (from the snapshot image or the mounted filesystem).',
  options: withHelp(
    DEVICE_OPTION,
    { long: 'since', short: 's', kind: 'value', description: 'Change number N: blocks changed after it (0-255).' },
    { long: 'source', kind: 'value', description: 'image (the taken snapshot image, consistent) or mounted (the live filesystem, FIEMAP); default: the image when there is one.' },
    { long: 'top', short: 't', kind: 'value', description: 'How many files and folders to list (default 20; with --csv every file).' },
    { long: 'csv', kind: 'switch', description: 'CSV of the files: path,kind,changed_bytes,size_bytes,mtime.' },
    { long: 'refresh', kind: 'switch', description: 'Resolve again instead of answering from the cache of (generation, change number).' },
  ),
  async run(ctx, args) {
    const device = args.required('device');
    const since = boundedArg(args, 'since', 0, 255);
    if (since === undefined) throw new UsageError("Argument 'since' is missed.");
    const source = args.value('source');
    if (source !== undefined && source !== 'image' && source !== 'mounted') throw new UsageError(`the argument ('${source}') for option '--source' is invalid: image or mounted`);
    const top = boundedArg(args, 'top', 1, 10_000);
    const csv = args.has('csv');
    const api = await ctx.api();
    const { jobId } = await api.changedFilesStart({ device, sinceChangeNumber: since, ...(source ? { source } : {}), refresh: args.has('refresh') });
    const onAbort = () => void api.changedFilesCancel({ jobId }).catch(() => undefined);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let page: ChangedFilesPage;
    try {
      page = await follow(api, jobId, top ?? 20, !ctx.out.json && !csv && process.stderr.isTTY === true, ctx.signal);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    if (page.state === 'failed' || page.state === 'cancelled') throw new Error(`changedfiles: ${page.reason ?? page.state}`);
    if (csv) return printCsv(ctx, api, page, top);
    ctx.out.record(page);
    printText(ctx, page);
  },
};

async function follow(api: BlksnapApi, jobId: string, top: number, showProgress: boolean, signal: AbortSignal): Promise<ChangedFilesPage> {
  // cli-progress only for a run that draws a bar (electron/cli/progress.ts).
  const bar = showProgress ? new (await loadProgressBar())({ format: ' {bar} {percentage}% | {phase} | {files} files seen', stream: process.stderr, hideCursor: true, clearOnComplete: true }) : null;
  let started = false;
  try {
    for (;;) {
      const page = await api.changedFilesPage({ jobId, limit: top, directories: top });
      if (bar) {
        const total = page.progress.total ?? 0;
        const payload = { phase: page.progress.phase, files: page.progress.filesSeen };
        if (!started) bar.start(Math.max(total, 1), 0, payload);
        started = true;
        bar.setTotal(Math.max(total, page.progress.done, 1));
        bar.update(page.progress.done, payload);
      }
      if (page.state !== 'running' || signal.aborted) return page;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    bar?.stop();
  }
}

function printText(ctx: VerbContext, page: ChangedFilesPage): void {
  const t = page.totals;
  ctx.out.line(`Changed files on ${page.device} since change number ${page.sinceChangeNumber} (generation ${page.generationId})`);
  if (page.source) {
    ctx.out.line(`Source: ${page.source.label}; ${page.source.consistent ? 'consistent: the files as they were at take' : 'live: may race with writes'}; read ${new Date(page.source.readAtMs).toISOString()}${page.cached ? ' (cached answer)' : ''}`);
  }
  if (page.state === 'unresolvable') ctx.out.line(page.reason ?? 'cannot resolve');
  ctx.out.line(`Incremental ${formatBytes(t.incrementalBytes)} = files ${formatBytes(t.fileBytes)} + metadata/journal ${formatBytes(t.metadataBytes)} + free or unowned ${formatBytes(t.freeBytes)}${t.unresolvedBytes ? ` + unresolved ${formatBytes(t.unresolvedBytes)}` : ''}`);
  if (page.files.length > 0) {
    ctx.out.line(`Top ${page.files.length} of ${page.fileCount} changed files:`);
    ctx.out.line(`${'changed'.padStart(11)}  ${'size'.padStart(11)}  ${'modified'.padEnd(16)}  path`);
    for (const f of page.files) ctx.out.line(`${formatBytes(f.changedBytes).padStart(11)}  ${(f.sizeBytes === null ? '-' : formatBytes(f.sizeBytes)).padStart(11)}  ${mtime(f).padEnd(16)}  ${f.path}${f.kind === 'directory' ? '/' : ''}`);
  }
  if (page.directories.length > 0) {
    ctx.out.line('Top folders:');
    for (const d of page.directories) ctx.out.line(`${formatBytes(d.changedBytes).padStart(11)}  ${d.path}/ (${d.files} files)`);
  }
  for (const note of page.notes) ctx.out.line(`Note: ${note}`);
  ctx.out.line(`Resolved in ${(page.elapsedMs / 1000).toFixed(1)} s`);
}

function mtime(f: ChangedFile): string {
  return f.mtimeMs === null ? '-' : new Date(f.mtimeMs).toISOString().slice(0, 16).replace('T', ' ');
}

async function printCsv(ctx: VerbContext, api: BlksnapApi, first: ChangedFilesPage, top: number | undefined): Promise<void> {
  const lines = ['path,kind,changed_bytes,size_bytes,mtime'];
  const limit = top ?? first.fileCount;
  for (let offset = 0; offset < limit; offset += CSV_PAGE) {
    const page = await api.changedFilesPage({ jobId: first.jobId, offset, limit: Math.min(CSV_PAGE, limit - offset), directories: 0 });
    for (const f of page.files) lines.push([csvField(f.path), f.kind, f.changedBytes, f.sizeBytes ?? '', f.mtimeMs === null ? '' : new Date(f.mtimeMs).toISOString()].join(','));
    if (page.files.length === 0) break;
  }
  ctx.out.raw(`${lines.join('\n')}\n`);
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
