// The lists a build writes of what it was made from (dist/build.inputs.json and
// dist/cli/blksnapctl.inputs.json), which build/fresh.cjs checks before every npm start and
// blksnapctl call: each input's mtime, and the entries of each folder whose files decide what an
// import resolves to.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import fresh from './fresh.cjs';
import { replaceFile } from './outputs.mjs';

const { resolvingEntries } = fresh;
/** A source modified this close to the build's start may hold an edit the bundle missed (coarse file clocks). */
const EDITED_DURING_BUILD_MS = 100;

/**
 * How a source (an absolute path, as the bundlers report it: links resolved) is listed: relative to
 * the checkout `root`; absolute outside it (a symlinked source, an npm-linked package); a file of a
 * node_modules folder as that folder's .package-lock.json, which npm rewrites at every install that
 * changes what is in it.
 */
export function listedSource(root, path) {
  const inside = relative(root, path);
  const listed = inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside) ? inside : path;
  const parts = listed.split(sep);
  const modules = parts.indexOf('node_modules');
  return modules === -1 ? listed : [...parts.slice(0, modules + 1), '.package-lock.json'].join(sep);
}

/**
 * The folders whose entries decide what the imports of a listed source resolved to: in the
 * checkout, its folder and each above it up to the checkout's (`../store` means store.ts once that
 * is added beside store/index.ts); outside, its folder, the one above for an index file, and the
 * package.json of its package (an npm-linked package's `main` or `exports`). None for node_modules.
 */
function resolvingPlaces(root, listed) {
  if (listed.split(sep).includes('node_modules')) return { dirs: [], files: [] };
  if (!isAbsolute(listed)) {
    const dirs = [];
    for (let dir = dirname(listed); dir !== '.'; dir = dirname(dir)) dirs.push(dir);
    return { dirs, files: [] };
  }
  const dirs = [dirname(listed)];
  if (basename(listed).startsWith('index.')) dirs.push(dirname(dirs[0]));
  let dir = dirname(listed);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return { dirs, files: existsSync(join(dir, 'package.json')) ? [join(dir, 'package.json')] : [] };
}

/**
 * Writes an inputs list to `file` (build/fresh.cjs reads it): `outputs` (what the
 * launchers run, relative to `root`); each input's mtime as bundled: the `sources` the bundlers
 * reported (absolute; listed by listedSource) and the `configs` (relative: how it is built); and the
 * folders of the sources with their mtimes and entries. One modified during the build gets -1, so
 * the next call rebuilds; one dated past the build's end (a copy from a machine whose clock was
 * ahead) is listed as it is, or every call would rebuild (fresh.cjs compares for equality so that
 * no clock is trusted). Written last, to a new file renamed into place: it says the build is complete.
 */
export function writeInputsList(root, file, { outputs, sources, configs, startedMs }) {
  const listedMs = Date.now();
  const editedDuring = (mtimeMs) => mtimeMs !== null && mtimeMs >= startedMs - EDITED_DURING_BUILD_MS && mtimeMs <= listedMs + EDITED_DURING_BUILD_MS;
  const mtimeOf = (path) => statSync(isAbsolute(path) ? path : join(root, path), { throwIfNoEntry: false })?.mtimeMs ?? null;
  const inputs = new Set(configs);
  const dirs = new Set();
  for (const source of sources) {
    const listed = listedSource(root, source);
    const places = resolvingPlaces(root, listed);
    for (const path of [listed, ...places.files]) inputs.add(path);
    for (const dir of places.dirs) dirs.add(dir);
  }
  const mtimes = {};
  for (const input of [...inputs].sort()) {
    const mtimeMs = mtimeOf(input);
    mtimes[input] = editedDuring(mtimeMs) ? -1 : mtimeMs;
  }
  const entries = {};
  for (const dir of [...dirs].sort()) {
    const mtimeMs = mtimeOf(dir);
    entries[dir] = editedDuring(mtimeMs) ? { mtimeMs: -1, names: null } : { mtimeMs, names: resolvingEntries(isAbsolute(dir) ? dir : join(root, dir)) };
  }
  replaceFile(file, `${JSON.stringify({ outputs, inputs: mtimes, dirs: entries }, null, 1)}\n`);
}

/** A metafile's sources as absolute paths (esbuild's are relative to its working directory, `root`); not those of other namespaces. */
export function metafileSources(root, metafile) {
  return Object.keys(metafile.inputs).filter((path) => !path.includes(':')).map((path) => resolve(root, path));
}
