// Types of what tests import from build/outputs.mjs.

export function replaceFile(file: string, data: string | Uint8Array): void;
/** The renderer folder's list of the current and the previous build's files. */
export const RENDERER_BUILDS: string;
/** Writes one renderer build into `outDir`, keeps the previous build's files, removes older ones; the absolute paths written. */
export function writeRendererFiles(outDir: string, files: readonly { fileName: string; data: string | Uint8Array }[]): string[];
