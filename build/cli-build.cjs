// Is the CLI's build in dist/ complete, and made from the sources as they are now? The installed
// blksnapctl (bin/blksnapctl.cjs) asks before every call, so this is CommonJS (no ES module
// loader) and cheap: one small JSON file and one stat per file the bundle was made from.
// build/build.mjs writes that list (dist/cli/blksnapctl.inputs.json) last, with each input's mtime as
// it was bundled; build/fresh.cjs compares them (for equality: no clock is trusted), as it does the
// whole build's list for npm start.
// When it is stale, the launcher rebuilds the CLI (rebuildCli, below) unless this process should
// not (cliRebuildRefusal): then it says what to run and runs the build that is there.
'use strict';
const { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { describeListedProblem, listedBuildProblem } = require('./fresh.cjs');

/** Where the build lists the CLI's inputs and outputs, relative to the checkout. */
const CLI_INPUTS = 'dist/cli/blksnapctl.inputs.json';
/** Held by the run that rebuilds; others wait for it (parallel calls after a git pull). */
const CLI_BUILD_LOCK = 'dist/.cli-build.lock';
const LOCK_WAIT_MS = 180_000;
const LOCK_POLL_MS = 100;

/**
 * null when dist/ holds a complete CLI build of the sources as they are; else what is wrong, as a
 * path relative to `root`: `{ missing }` (no build, or a partial one) or `{ changed }`.
 */
function cliBuildProblem(root) {
  return listedBuildProblem(root, CLI_INPUTS);
}

/** The problem as people read it: "dist/code-cache.cjs is missing", "shared/cbt.ts changed since dist/ was built". */
function describeProblem(problem) {
  return describeListedProblem(problem, CLI_INPUTS, 'build of the CLI');
}

/**
 * Why this process must not rebuild the CLI in `root`, and what to run instead, or null when it
 * may: without esbuild (installed without devDependencies) it cannot; in a checkout it cannot write
 * (read-only) or that belongs to another user (sudo blksnapctl in a user's checkout) it must not,
 * since the files it made would be that user's to remove.
 */
function cliRebuildRefusal(root) {
  try {
    require.resolve('esbuild', { paths: [root] });
  } catch {
    return { reason: 'esbuild, a devDependency, is not installed', fix: `cd ${root} && npm install && npm run build` };
  }
  const target = statSync(join(root, 'dist'), { throwIfNoEntry: false }) ? join(root, 'dist') : root;
  const owner = statSync(target).uid;
  const uid = process.geteuid?.();
  const fix = `npm run build in ${root} as its owner`;
  if (uid !== undefined && uid !== owner) return { reason: `${target} belongs to uid ${owner}, not to this user (uid ${uid})`, fix };
  try {
    accessSync(target, constants.W_OK);
  } catch (err) {
    return { reason: `${target} is not writable (${err.code})`, fix };
  }
  return null;
}

/**
 * What a launcher (blksnapctl, npm start) says when its build is stale (`what`: the problem as
 * people read it) and this run must not build it (cliRebuildRefusal), or null when it may build:
 * with a file missing it stops (`stop`), else it runs the older build after a note.
 */
function refusedRebuild(root, what, missing) {
  const refusal = cliRebuildRefusal(root);
  if (!refusal) return null;
  return missing
    ? { stop: true, message: `${what} and this run cannot build it (${refusal.reason}): run ${refusal.fix}` }
    : { stop: false, message: `note: ${what} and this run cannot rebuild it (${refusal.reason}), so the older build runs; to update it, run ${refusal.fix}` };
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Takes the build lock: false while another run holds it. A holder that died leaves it to be
 * taken, and so does a lock older than any build may take (LOCK_WAIT_MS), whatever its pid says:
 * a build killed by Ctrl+C leaves its pid behind, and after a reboot another process may have it.
 */
function tryLock(lockFile, takenOver = false) {
  try {
    const fd = openSync(lockFile, 'wx', 0o644);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
  }
  if (takenOver) return false; // Another waiter was first to the lock it left.
  let holder;
  let ageMs;
  try {
    ageMs = Date.now() - statSync(lockFile).mtimeMs;
    holder = Number(readFileSync(lockFile, 'utf8'));
  } catch {
    return false; // Released meanwhile: the next try takes it.
  }
  // A lock without a pid yet is being written; a dead holder's is taken over, and a stale one.
  if (ageMs > LOCK_WAIT_MS || (Number.isInteger(holder) && holder > 0 && !processAlive(holder))) {
    try {
      unlinkSync(lockFile);
    } catch {
      // Another waiter took it over first.
    }
    // At once, not after a poll: this run need not say it waits for a build no one is doing.
    return tryLock(lockFile, true);
  }
  return false;
}

/**
 * Rebuilds the CLI's part of dist/ (build/build.mjs buildCli) unless another run is doing it:
 * then waits for that one. `say` hears which (a line for stderr). Resolves when dist/ holds a
 * current build; rejects with the build's error, or when another run's build did not finish
 * within LOCK_WAIT_MS.
 */
async function rebuildCli(root, problem, say) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  const lockFile = join(root, CLI_BUILD_LOCK);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let waiting = false;
  while (!tryLock(lockFile)) {
    if (cliBuildProblem(root) === null) return;
    if (Date.now() > deadline) throw new Error(`another blksnapctl has been building for ${LOCK_WAIT_MS / 1000} s (${lockFile})`);
    if (!waiting) say(`blksnapctl: ${describeProblem(problem)}: another blksnapctl is building the CLI, waiting for it...`);
    waiting = true;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
  try {
    // The run that held the lock before may have built it already.
    if (cliBuildProblem(root) === null) return;
    say(`blksnapctl: ${describeProblem(problem)}: building the CLI first...`);
    const { buildCli } = await import(pathToFileURL(join(root, 'build', 'build.mjs')).href);
    await buildCli({ logLevel: 'error' });
    // A source edited while it built shows as changed: that call rebuilds. Only a missing file is an error.
    const after = cliBuildProblem(root);
    if (after?.missing) throw new Error(`the build did not make ${after.missing}`);
  } finally {
    try {
      unlinkSync(lockFile);
    } catch {
      // Taken over by a waiter that thought this run dead: nothing to release.
    }
  }
}

module.exports = { CLI_INPUTS, CLI_BUILD_LOCK, cliBuildProblem, cliRebuildRefusal, refusedRebuild, describeProblem, rebuildCli };
