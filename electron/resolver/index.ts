// "Which files changed": changed CBT blocks since N → files, folders, metadata and free space.
export { ChangedFilesResolver, type ResolverOptions } from './resolver';
export { controlHost, mountPointOf, readWholeMap } from './host';
export type { ResolverHost, ImageSource, SourceChoice, UnreadableImage } from './job';
