#!/usr/bin/env node
// blksnapctl launcher, what `npm link` installs (package.json "bin"): runs the bundled CLI
// (dist/cli/blksnapctl.cjs) through the V8 code cache (dist/code-cache.cjs,
// electron/app/codeCache.ts), building dist/ first where it is missing (a fresh checkout).
// CommonJS on purpose: Node starts an ES module entry through its ES module loader, about
// 14 ms of CPU more per call (test/bench/cli.ts). bin/blksnapctl.mjs runs this file.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'cli', 'blksnapctl.cjs');
const runner = join(root, 'dist', 'code-cache.cjs');

function run() {
  require(runner).runWithCodeCache(bundle);
}

if (existsSync(bundle) && existsSync(runner)) {
  run();
} else {
  process.stderr.write('blksnapctl: dist/ is missing, building it first...\n');
  import(require('node:url').pathToFileURL(join(root, 'build', 'build.mjs')).href)
    .then(({ buildAll }) => buildAll({ quiet: true }))
    .then(() => {
      if (!existsSync(bundle) || !existsSync(runner)) {
        process.stderr.write('blksnapctl: the build did not produce dist/cli/blksnapctl.cjs and dist/code-cache.cjs\n');
        process.exit(1);
      }
      run();
    }, (err) => {
      process.stderr.write(`blksnapctl: the build failed: ${err.message}\n`);
      process.exit(1);
    });
}
