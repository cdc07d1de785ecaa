// Types of what tests import from build/inputs-list.mjs.

export function listedSource(root: string, path: string): string;
export function writeInputsList(root: string, file: string, list: { outputs: readonly string[]; sources: readonly string[]; configs: readonly string[]; startedMs: number }): void;
