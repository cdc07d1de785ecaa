// What a blksnapctl run loads before it knows what it needs: the modules its bundle reaches from
// the entry through static imports (an `import()` loads on its own path only). zod's schemas,
// the kernel's dialect tables, the service, ws and cli-progress each cost a run milliseconds of
// CPU (test/bench/cli.ts); they load for the verbs and paths that use them. Read from esbuild's
// metafile of the very bundle `npm run build` makes.
import { resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE_ENTRIES, nodeBundleOptions } from '../../../build/build.mjs';

const root = resolve(__dirname, '..', '..', '..');
const ENTRY = 'electron/cli/blksnapctl.ts';
let metafile: Metafile;

beforeAll(async () => {
  const entry = NODE_ENTRIES.find((e) => e.in === ENTRY);
  if (!entry) throw new Error(`build/build.mjs has no Node entry ${ENTRY}`);
  const result = await build({ ...nodeBundleOptions(entry), absWorkingDir: root, write: false, metafile: true, sourcemap: false, logLevel: 'error' });
  metafile = result.metafile;
}, 120_000);

/** Every input reached from `from` through imports of the given kinds (default: static ones). */
function reached(from: string, kinds: readonly string[] = ['import-statement', 'require-call']): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    const input = metafile.inputs[path];
    if (!input) continue;
    seen.add(path);
    for (const edge of input.imports) if (!edge.external && kinds.includes(edge.kind)) queue.push(edge.path);
  }
  return seen;
}

const matching = (paths: Set<string>, pattern: RegExp) => [...paths].filter((p) => pattern.test(p));

const ZOD = /^node_modules\/zod\/|^shared\/(schemas|contract|changedFiles)\.ts$/;

describe('blksnapctl start-up: what loads before the verb is known', () => {
  it('the walk sees the bundle: the whole graph (import() included) holds what the start must not load', () => {
    const all = reached(ENTRY, ['import-statement', 'require-call', 'dynamic-import']);
    for (const pattern of [ZOD, /^node_modules\/cli-progress\//, /^node_modules\/ws\//, /^electron\/control\/kernel\//, /^electron\/service\//]) {
      expect(matching(all, pattern), String(pattern)).not.toEqual([]);
    }
    const start = reached(ENTRY);
    expect(start.has('electron/cli/main.ts')).toBe(true);
    expect(matching(start, /^node_modules\/commander\//)).not.toEqual([]);
  });

  it('the start loads no zod schemas, kernel dialects, service, ws or cli-progress', () => {
    const start = reached(ENTRY);
    expect(matching(start, ZOD)).toEqual([]);
    expect(matching(start, /^electron\/control\/kernel\//)).toEqual([]);
    expect(matching(start, /^electron\/service\//)).toEqual([]);
    expect(matching(start, /^node_modules\/(ws|cli-progress)\//)).toEqual([]);
  });

  it('talking to a running app loads no zod either: the app validates the calls', () => {
    const remote = reached('electron/cli/remote.ts');
    expect(remote.has('node_modules/ws/index.js') || matching(remote, /^node_modules\/ws\//).length > 0).toBe(true);
    expect(matching(remote, ZOD)).toEqual([]);
  });
});
