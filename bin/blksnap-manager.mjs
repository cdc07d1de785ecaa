#!/usr/bin/env node
// blksnap-manager launcher: `blksnap-manager serve [options]` runs the headless service
// (dist/serve/main.mjs, what the systemd unit starts); anything else is `npm start`.
// dist/ is built first where it is missing (a fresh checkout).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[2] !== 'serve') {
  await import(pathToFileURL(join(root, 'build', 'start.mjs')).href);
} else {
  const bundle = join(root, 'dist', 'serve', 'main.mjs');
  if (!existsSync(bundle)) {
    process.stderr.write('blksnap-manager: dist/ is missing, building it first...\n');
    const { buildAll } = await import(pathToFileURL(join(root, 'build', 'build.mjs')).href);
    await buildAll({ quiet: true });
  }
  await import(pathToFileURL(bundle).href);
}
