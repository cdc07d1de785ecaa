// Is dist/ newer than every source of a build? `npm start` (build/start.cjs) asks before every
// start, so this is CommonJS (no ES module loader) and cheap: one stat per file, none for what a
// folder listing already says is a folder, and it stops at the first change. build/build.mjs
// re-exports it and writes the stamp it compares against.
'use strict';
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

/** What a build is made from (npm start rebuilds when one changed): vite.config.ts's own imports too. */
const SOURCES = ['electron', 'renderer', 'shared', 'package.json', 'vite.config.ts', 'build/build.mjs', 'build/inline-css.mjs'];
/** The time the last whole build started (ms), relative to the checkout. */
const BUILD_STAMP = 'dist/.build-stamp';

/**
 * True when a file or folder under `paths` was modified after `builtMs` (a folder's mtime moves
 * when a file in it is added or removed, so those count too).
 */
function changedSince(paths, builtMs) {
  return paths.some(function newer(path) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return false;
    if (st.mtimeMs > builtMs) return true;
    if (!st.isDirectory()) return false;
    return readdirSync(path, { withFileTypes: true }).some((entry) => {
      // Not path.join: `path` is already normal and a name has no slash, and join's normalising
      // was half of the check's first-run CPU (25 -> 10 ms at load 8).
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory() || entry.isSymbolicLink()) return newer(child);
      return (statSync(child, { throwIfNoEntry: false })?.mtimeMs ?? 0) > builtMs;
    });
  });
}

/** True when the checkout at `root` has a whole build and no source changed since it started. */
function buildIsFresh(root = join(__dirname, '..')) {
  let built;
  try {
    built = Number(readFileSync(join(root, BUILD_STAMP), 'utf8')) || 0;
  } catch {
    return false;
  }
  return !changedSince(SOURCES.map((s) => join(root, s)), built);
}

module.exports = { SOURCES, BUILD_STAMP, changedSince, buildIsFresh };
