// Is a build in dist/ complete, and made from the sources as they are now? `npm start`
// (build/start.cjs) asks before every start and the installed blksnapctl (build/cli-build.cjs)
// before every call, so this is CommonJS (no ES module loader) and cheap: one small JSON file and
// one stat per file the build was made from, no folder walked.
// build/build.mjs writes each list last, with every input's mtime as it was built: the whole build's
// (dist/build.inputs.json) and the CLI's (dist/cli/blksnapctl.inputs.json). An input with another
// mtime (an edit, a git pull or checkout, an older copy put back with its own date, an npm
// install), or gone, makes the build stale; so does a missing output. Mtimes are compared for
// equality, not against the build's time, so a clock that was wrong at the build or a source dated
// in the future cannot make every start rebuild, and an older file cannot pass for a built one.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

/** The whole build's list (npm start, `build.mjs --if-needed`), relative to the checkout. */
const BUILD_INPUTS = 'dist/build.inputs.json';

/**
 * null when dist/ holds every output `list` names and each input `list` names has its listed
 * mtime; else what is wrong, as a path relative to `root`: `{ missing }` (no build, a partial one,
 * or an output gone) or `{ changed }`.
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
    const mtimeMs = statSync(`${root}/${input}`, { throwIfNoEntry: false })?.mtimeMs ?? null;
    if (mtimeMs !== listed.inputs[input]) return { changed: input };
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
  return problem.missing ? `${problem.missing} is missing` : `${problem.changed} changed since dist/ was built`;
}

/** A problem of the whole build as people read it (describeListedProblem). */
function describeBuildProblem(problem) {
  return describeListedProblem(problem, BUILD_INPUTS, 'build');
}

module.exports = { BUILD_INPUTS, listedBuildProblem, describeListedProblem, buildProblem, buildIsFresh, describeBuildProblem };
