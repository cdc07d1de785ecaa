// What a run through the V8 code cache (codeCache.ts) compiled beyond its common start: a bundle
// names the code paths it took (blksnapctl: in-process service or a running app's), and the
// runner rewrites the cache at exit when the cache it used was made by runs that took none of
// them. Without it, the cache holds only what the first run after a build compiled: after a first
// `blksnapctl help`, every later cbtinfo compiled the service and zod again (~30 ms of CPU).
// The runner (dist/code-cache.cjs) and the bundle are separate copies of this file, so the set
// lives on globalThis under a registered symbol; where no runner installed one (tests calling
// runCli in-process), noting a path does nothing.
const CODE_PATHS = Symbol.for('blksnap-manager.codeCache.paths');

type WithCodePaths = { [CODE_PATHS]?: Set<string> };

/** Names a code path this run took (a word without commas or newlines). */
export function noteCodePath(name: string): void {
  (globalThis as WithCodePaths)[CODE_PATHS]?.add(name);
}

/** The runner's side: a new, empty set of the paths this run takes, installed for noteCodePath. */
export function collectCodePaths(): Set<string> {
  const paths = new Set<string>();
  (globalThis as WithCodePaths)[CODE_PATHS] = paths;
  return paths;
}
