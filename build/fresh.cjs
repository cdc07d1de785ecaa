// Is a build in dist/ complete, and made from the sources as they are now? `npm start`
// (build/start.cjs) asks before every start and the installed blksnapctl (build/cli-build.cjs)
// before every call, so this is CommonJS (no ES module loader) and cheap: one small JSON file, one
// stat per file the build was made from and per folder whose files decide what an import resolves
// to, no folder walked.
// build/build.mjs writes each list last (build/inputs-list.mjs), with every input's mtime as it was
// built: the whole build's (dist/build.inputs.json) and the CLI's (dist/cli/blksnapctl.inputs.json).
// An input with another mtime (an edit, a git pull or checkout, an older copy put back with its own
// date, an npm install), or gone, makes the build stale; so does a missing output, and a folder of
// sources that holds other files than it did (x.ts added beside x/index.ts: the import `./x` now
// means it). Inputs outside the checkout (a symlinked source, an npm-linked package) are listed by
// their absolute paths. Mtimes are compared for equality, not against the build's time, so a clock
// that was wrong at the build or a source dated in the future cannot make every start rebuild, and
// an older file cannot pass for a built one.
'use strict';
const { readdirSync, readFileSync, readlinkSync, statSync } = require('node:fs');
const { join } = require('node:path');

/** The whole build's list (npm start, `build.mjs --if-needed`), relative to the checkout. */
const BUILD_INPUTS = 'dist/build.inputs.json';

const MODULE_EXTENSION = /\.(?:[cm]?[jt]sx?|json|css)$/;

/**
 * A folder's entries that can change what an import resolves to, as the build lists them: files
 * with a module's extension or none (imported by their full name), links so named with what they
 * name (a link pointed elsewhere), and node_modules. Not a hidden name, an editor's swap, backup or
 * temporary file (`.x.ts.swp`, `x.ts~`, `#x.ts#`), nor a folder: `./x` means x.ts, if there is
 * one, before x/index.ts, so a folder added never changes what a built import found.
 */
function resolvingEntries(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.name[0] !== '.' && (entry.isDirectory() ? entry.name === 'node_modules' : !entry.name.includes('.') || MODULE_EXTENSION.test(entry.name)))
    .map((entry) => (entry.isSymbolicLink() ? `${entry.name} -> ${readlinkSync(`${dir}/${entry.name}`)}` : entry.name))
    .sort();
}

/** A listed path as a file's path: absolute outside the checkout, else relative to `root`. */
const inRoot = (root, path) => (path[0] === '/' ? path : `${root}/${path}`);

/** False when `dir` (a listed folder) holds other resolving entries than `names`, or cannot be read. */
function sameEntries(dir, names) {
  if (!Array.isArray(names)) return false;
  try {
    return resolvingEntries(dir).join('\n') === names.join('\n');
  } catch {
    return false;
  }
}

/**
 * null when dist/ holds every output `list` names, each input `list` names has its listed mtime,
 * and each folder it names holds the entries it did; else what is wrong, as a path relative to
 * `root` (absolute outside it): `{ missing }` (no build, a partial one, or an output gone) or
 * `{ changed }` (a folder's ends with /).
 */
function listedBuildProblem(root, list) {
  let listed;
  try {
    listed = JSON.parse(readFileSync(join(root, list), 'utf8'));
  } catch {
    return { missing: list };
  }
  if (!Array.isArray(listed?.outputs) || typeof listed.inputs !== 'object' || listed.inputs === null) return { missing: list };
  // `${root}/${path}`, not path.join: the paths are already normal, and join's normalising was
  // half of the check's CPU (25 -> 10 ms at load 8).
  for (const output of listed.outputs) {
    if (!statSync(`${root}/${output}`, { throwIfNoEntry: false })) return { missing: output };
  }
  for (const input of Object.keys(listed.inputs)) {
    // null: the file did not exist at the build (package-lock.json before the first npm install).
    const mtimeMs = statSync(inRoot(root, input), { throwIfNoEntry: false })?.mtimeMs ?? null;
    if (mtimeMs !== listed.inputs[input]) return { changed: input };
  }
  // A folder's mtime moves with any entry (an editor's swap file too): only then are its entries read.
  const dirs = typeof listed.dirs === 'object' && listed.dirs !== null ? listed.dirs : {};
  for (const dir of Object.keys(dirs)) {
    const path = inRoot(root, dir);
    const mtimeMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? null;
    if (mtimeMs !== dirs[dir]?.mtimeMs && !sameEntries(path, dirs[dir]?.names)) return { changed: `${dir}/` };
  }
  return null;
}

/** What is wrong with the whole build in `root`, or null (listedBuildProblem). */
function buildProblem(root = join(__dirname, '..')) {
  return listedBuildProblem(root, BUILD_INPUTS);
}

/** True when the checkout at `root` has a whole build made from its sources as they are. */
function buildIsFresh(root = join(__dirname, '..')) {
  return buildProblem(root) === null;
}

/**
 * A problem listedBuildProblem found with `list` as people read it: "renderer/app/App.tsx changed
 * since dist/ was built"; `what` names the build for a missing list ("build", "build of the CLI").
 */
function describeListedProblem(problem, list, what) {
  if (problem.missing === list) return `dist/ holds no complete ${what} (${list} is missing)`;
  if (problem.missing) return `${problem.missing} is missing`;
  if (problem.changed.endsWith('/')) return `${problem.changed} holds other files than when dist/ was built`;
  return `${problem.changed} changed since dist/ was built`;
}

/** A problem of the whole build as people read it (describeListedProblem). */
function describeBuildProblem(problem) {
  return describeListedProblem(problem, BUILD_INPUTS, 'build');
}

module.exports = { BUILD_INPUTS, resolvingEntries, listedBuildProblem, describeListedProblem, buildProblem, buildIsFresh, describeBuildProblem };
