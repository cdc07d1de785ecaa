// "Which files changed": the resolver's answer (changed blocks since N → files, folders,
// metadata, free space) as runtime schemas. A run is a job: started once, read page by page
// while it runs, so a large answer never travels (or blocks the UI) in one piece.
import { z } from 'zod';
import { lazySchema, type Infer } from './lazySchema';
import { DevicePath } from './schemas';

export const ChangedFilesSourceKind = lazySchema(() => z.enum(['image', 'mounted']));
export type ChangedFilesSourceKind = Infer<typeof ChangedFilesSourceKind>;

/** Where the answer comes from, shown to the user. */
export const ChangedFilesSource = lazySchema(() => z.object({
  kind: ChangedFilesSourceKind(),
  /** "snapshot image /dev/blksnap-251-0 (debugfs)", "mounted at /mnt (FIEMAP)". */
  label: z.string(),
  /** image: the files as they were at take. mounted: live, may race with writes. */
  consistent: z.boolean(),
  /** When the source was read (ms since epoch). */
  readAtMs: z.number(),
}));
export type ChangedFilesSource = Infer<typeof ChangedFilesSource>;

export const ChangedFile = lazySchema(() => z.object({
  /** Path inside its filesystem, '/'-rooted; with a partition prefix ("p2:/etc/x") on whole disks. */
  path: z.string(),
  kind: z.enum(['file', 'directory', 'other']),
  /** Changed bytes that lie in this file's extents (the intersection, not whole CBT blocks). */
  changedBytes: z.number().nonnegative(),
  sizeBytes: z.number().nonnegative().nullable(),
  mtimeMs: z.number().nullable(),
}));
export type ChangedFile = Infer<typeof ChangedFile>;

export const ChangedDirectory = lazySchema(() => z.object({
  path: z.string(),
  /** Changed bytes of everything below (files and the directories' own blocks). */
  changedBytes: z.number().nonnegative(),
  files: z.number().int().nonnegative(),
}));
export type ChangedDirectory = Infer<typeof ChangedDirectory>;

/** The parts add up: files + metadata + free = incremental (what the incremental panel shows). */
export const ChangedFilesTotals = lazySchema(() => z.object({
  incrementalBytes: z.number().nonnegative(),
  fileBytes: z.number().nonnegative(),
  /** In use by the filesystem but no file's data: superblocks, inode tables, bitmaps, journal, extent trees. */
  metadataBytes: z.number().nonnegative(),
  /** Free in the filesystem, outside any filesystem or partition, or of a filesystem not resolved. */
  freeBytes: z.number().nonnegative(),
  /** Not resolved (cancelled, limits reached, unsupported filesystem); counted nowhere else. */
  unresolvedBytes: z.number().nonnegative(),
}));
export type ChangedFilesTotals = Infer<typeof ChangedFilesTotals>;

export const ChangedFilesState = lazySchema(() => z.enum(['running', 'done', 'cancelled', 'failed', 'unresolvable']));
export type ChangedFilesState = Infer<typeof ChangedFilesState>;

export const ChangedFilesSort = lazySchema(() => z.enum(['changedBytes', 'path', 'sizeBytes', 'mtimeMs']));
export type ChangedFilesSort = Infer<typeof ChangedFilesSort>;

export const ChangedFilesPage = lazySchema(() => z.object({
  jobId: z.string(),
  device: DevicePath(),
  state: ChangedFilesState(),
  /** Why not resolved (state unresolvable/failed), or what limited the answer. */
  reason: z.string().nullable(),
  notes: z.array(z.string()),
  source: ChangedFilesSource().nullable(),
  generationId: z.string(),
  sinceChangeNumber: z.number().int(),
  blockSizeBytes: z.number().int().positive(),
  progress: z.object({ phase: z.string(), done: z.number(), total: z.number().nullable(), filesSeen: z.number().int() }),
  elapsedMs: z.number(),
  totals: ChangedFilesTotals(),
  /** Files with changed bytes so far, and this page of them in the order asked for. */
  fileCount: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  files: z.array(ChangedFile()),
  /** The top directories by changed bytes. */
  directories: z.array(ChangedDirectory()),
  /** true when the answer came from the cache of (generation, change number). */
  cached: z.boolean(),
}));
export type ChangedFilesPage = Infer<typeof ChangedFilesPage>;

export const ChangedFilesStartArgs = lazySchema(() => z.object({
  device: DevicePath(),
  sinceChangeNumber: z.number().int().min(0).max(255),
  source: z.enum(['auto', 'image', 'mounted']).optional(),
  /** Bypass the cache of (generation, change number). */
  refresh: z.boolean().optional(),
}));
export type ChangedFilesStartArgs = Infer<typeof ChangedFilesStartArgs>;

export const ChangedFilesPageArgs = lazySchema(() => z.object({
  jobId: z.string().min(1).max(64),
  offset: z.number().int().nonnegative().optional(),
  limit: z.number().int().positive().max(10_000).optional(),
  sort: ChangedFilesSort().optional(),
  descending: z.boolean().optional(),
  directories: z.number().int().nonnegative().max(1000).optional(),
}));

/** Device byte ranges of one changed file (to highlight on the map), or who owns a byte. */
export const ChangedFileRangesArgs = lazySchema(() => z.object({ jobId: z.string().min(1).max(64), path: z.string().min(1).max(8192) }));
export const ByteRange = lazySchema(() => z.object({ offsetBytes: z.number().nonnegative(), lengthBytes: z.number().positive() }));
export type ByteRange = Infer<typeof ByteRange>;
export const ChangedFileRanges = lazySchema(() => z.object({ path: z.string(), ranges: z.array(ByteRange()), truncated: z.boolean() }));

export const ChangedFileOwnerArgs = lazySchema(() => z.object({ jobId: z.string().min(1).max(64), offsetBytes: z.number().int().nonnegative(), lengthBytes: z.number().int().positive() }));
/** Who owns the changed bytes of a device range: the files (by bytes), or metadata / free / unresolved. */
export const ChangedFileOwner = lazySchema(() => z.object({
  files: z.array(z.object({ path: z.string(), bytes: z.number() })),
  metadataBytes: z.number(),
  freeBytes: z.number(),
}));
export type ChangedFileOwner = Infer<typeof ChangedFileOwner>;
