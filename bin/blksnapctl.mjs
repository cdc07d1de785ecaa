#!/usr/bin/env node
// blksnapctl launcher: runs the bundled CLI (dist/cli/blksnapctl.mjs), building dist/ first
// where it is missing (a fresh checkout). Built-ins through process.getBuiltinModule: an ES
// import of one builds its facade, which loads what a run may never use (electron/app/codeCache.ts).
const { existsSync } = process.getBuiltinModule('node:fs');
const { dirname, join } = process.getBuiltinModule('node:path');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli', 'blksnapctl.mjs');

if (!existsSync(bundle)) {
  process.stderr.write('blksnapctl: dist/ is missing, building it first...\n');
  const { buildAll } = await import(pathToFileURL(join(root, 'build', 'build.mjs')).href);
  await buildAll({ quiet: true });
  if (!existsSync(bundle)) {
    process.stderr.write('blksnapctl: the build did not produce dist/cli/blksnapctl.mjs\n');
    process.exit(1);
  }
}

await import(pathToFileURL(bundle).href);
