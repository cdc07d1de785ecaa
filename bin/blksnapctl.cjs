#!/usr/bin/env node
// blksnapctl launcher, what `npm link` installs (package.json "bin"): runs the bundled CLI
// (dist/cli/blksnapctl.cjs) through the V8 code cache (dist/code-cache.cjs,
// electron/app/codeCache.ts). Before that it checks the CLI's build is complete and made from the
// sources as they are (build/cli-build.cjs: a stat per input), and rebuilds it where it is not
// (a fresh checkout, a git pull) — or, where this process must not build, says what to run.
// CommonJS on purpose: Node starts an ES module entry through its ES module loader, about
// 14 ms of CPU more per call (test/bench/cli.ts). bin/blksnapctl.mjs runs this file.
'use strict';
const { join } = require('node:path');
const { cliBuildProblem, describeProblem, rebuildCli, refusedRebuild } = require('../build/cli-build.cjs');

const root = join(__dirname, '..');

function run() {
  require(join(root, 'dist', 'code-cache.cjs')).runWithCodeCache(join(root, 'dist', 'cli', 'blksnapctl.cjs'));
}

/** The build is stale or incomplete: rebuild it, or say why not and what to run. */
function rebuildThenRun(problem) {
  const refused = refusedRebuild(root, describeProblem(problem), Boolean(problem.missing));
  if (refused) {
    process.stderr.write(`blksnapctl: ${refused.message}\n`);
    if (refused.stop) process.exit(1);
    run();
    return;
  }
  rebuildCli(root, problem, (line) => process.stderr.write(`${line}\n`)).then(run, (err) => {
    process.stderr.write(`blksnapctl: the build failed: ${err.message}\n(\`npm run build\` in ${root} shows the whole output)\n`);
    process.exit(1);
  });
}

const problem = cliBuildProblem(root);
if (problem) rebuildThenRun(problem);
else run();
