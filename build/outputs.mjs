// How the build puts its outputs in dist/ (build/build.mjs): each file written to a new file renamed
// into place (replaceFile), and the renderer's folder (writeRendererFiles) holding the current
// build's files and the previous build's, so that a page or window still open on the previous
// build can load the chunks it has not loaded yet.
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Writes `data` to a new file renamed over `file`: a run that opened the old file (a blksnapctl
 * call that found the build current just before another run or `npm run build` rebuilt it)
 * reads it whole, never a file being rewritten.
 */
export function replaceFile(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  // A new file (O_EXCL), never one of that name: a link left there (a build as root in another
  // user's checkout) would have the bundle written into whatever file it names. One left by a
  // killed build of the same pid is removed first (rmSync removes a link, not what it names).
  rmSync(tmp, { force: true });
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * In the renderer's folder: the files the last build wrote (`current`) and those of the build
 * before it that wrote other files (`previous`), as paths relative to the folder. Only ever a list
 * of files to keep: a damaged or planted one can keep a file longer, never remove one.
 */
export const RENDERER_BUILDS = '.builds.json';

/**
 * Writes one renderer build (`files`: { fileName, data } relative to `outDir`) into `outDir`: each
 * file renamed into place, index.html last, so a page loading meanwhile reads whole files of one
 * build or the other. Then removes the files of builds older than the previous one: a page opened
 * on the previous build (index.html is never cached) still finds the lazy chunks its script
 * names — a view it opens next, the heatmap's worker — and at most two builds' files remain.
 * Where `outDir` is a link (to a web root, a shared folder), the files beside the build there are
 * someone else's: nothing is removed, and the link is never followed to look for files.
 */
export function writeRendererFiles(outDir, files) {
  const ordered = [...files].sort((a, b) => Number(a.fileName === 'index.html') - Number(b.fileName === 'index.html'));
  mkdirSync(outDir, { recursive: true });
  const ownFolder = !lstatSync(outDir).isSymbolicLink();
  const before = readBuilds(outDir) ?? { current: ownFolder ? filesUnder(outDir) : [], previous: [] };
  for (const file of ordered) {
    const path = join(outDir, file.fileName);
    mkdirSync(dirname(path), { recursive: true });
    replaceFile(path, file.data);
  }
  const current = ordered.map((f) => f.fileName).sort();
  // A build that wrote the same files (only other parts of dist/ changed) is not a new one: the
  // build before it stays the previous.
  const previous = sameFiles(current, before.current) ? before.previous : before.current;
  replaceFile(join(outDir, RENDERER_BUILDS), `${JSON.stringify({ current, previous }, null, 1)}\n`);
  if (ownFolder) removeAllBut(outDir, new Set([RENDERER_BUILDS, ...current, ...previous].map((name) => join(outDir, name))));
  return current.map((name) => join(outDir, name));
}

/** The folder's list of builds, or null where there is none (a build before the list) or it is damaged. */
function readBuilds(outDir) {
  let builds;
  try {
    builds = JSON.parse(readFileSync(join(outDir, RENDERER_BUILDS), 'utf8'));
  } catch {
    return null;
  }
  const names = (list) => Array.isArray(list) && list.every((name) => typeof name === 'string');
  return names(builds?.current) && names(builds.previous) ? builds : null;
}

function sameFiles(a, b) {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** Every file under `dir`, relative to it: without a list, what is there counts as the previous build. */
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** Removes every file under `dir` that is not in `keep`, and folders left empty. */
function removeAllBut(dir, keep) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      removeAllBut(path, keep);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
    } else if (!keep.has(path)) {
      rmSync(path, { force: true }); // a file or a link itself, never what a link points to
    }
  }
}
