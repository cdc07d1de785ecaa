// Types of what tests import from build/build.mjs.
import type { BuildOptions, build } from 'esbuild';

export interface NodeEntry { in: string; out: string; writeAfterMs?: number; listInputs?: boolean }
export const NODE_ENTRIES: readonly NodeEntry[];
export function nodeBundleOptions(entry: NodeEntry): BuildOptions;
export function nodeEntryStub(entry: NodeEntry): string;
/** What one part of the build wrote and was made from (absolute paths), and the configuration it read (relative to the checkout). */
export interface BuiltPart { outputs: string[]; inputs: string[]; configs?: readonly string[] }
export function buildNodeEntries(esbuild: typeof build, options?: { outDir?: string; entries?: readonly NodeEntry[]; logLevel?: BuildOptions['logLevel'] }): Promise<BuiltPart>;
export function buildCli(options?: { logLevel?: BuildOptions['logLevel'] }): Promise<void>;
export function buildIsFresh(root?: string): boolean;
export function buildAll(options?: { quiet?: boolean }): Promise<void>;
export const RENDERER_CONFIG: readonly string[];
export const BUILD_CONFIG: readonly string[];
export const FIRST_PAINT: { in: string; out: string };
export function buildFirstPaint(esbuild: typeof build, options?: { outDir?: string; logLevel?: BuildOptions['logLevel'] }): Promise<BuiltPart>;
export function buildElectronEntries(esbuild: typeof build, options?: { outDir?: string; logLevel?: BuildOptions['logLevel']; quiet?: boolean }): Promise<BuiltPart>;
export function buildRenderer(options?: { outDir?: string; logLevel?: 'info' | 'warn' | 'error' | 'silent' }): Promise<BuiltPart>;
