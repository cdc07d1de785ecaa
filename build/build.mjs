#!/usr/bin/env node
// Builds the main-process bundles (esbuild) and the renderer (vite) into dist/.
// `node build/build.mjs --if-needed` skips the work when dist/ is newer than every source.
import { existsSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const SOURCES = ['electron', 'renderer', 'shared', 'package.json', 'vite.config.ts', 'build/build.mjs'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export function buildIsFresh() {
  if (!existsSync(stamp)) return false;
  const built = Number(readFileSync(stamp, 'utf8')) || 0;
  return SOURCES.every((s) => newestMtime(join(root, s)) <= built);
}

const ENTRIES = [
  // The Electron main process and the web mode are ES modules; the sandboxed preload must be CommonJS.
  { in: 'electron/main.ts', out: 'electron/main.mjs', format: 'esm' },
  { in: 'electron/preload.ts', out: 'electron/preload.cjs', format: 'cjs', bundleAll: true },
  // Node entries carry their dependencies (all but native and optional ones): one file to load
  // instead of hundreds of modules halves the time to start (test/bench/cold-start.ts, cli.ts).
  { in: 'electron/web/main.ts', out: 'web/main.mjs', format: 'esm', bundleDeps: true },
  { in: 'electron/serve/main.ts', out: 'serve/main.mjs', format: 'esm', bundleDeps: true },
  { in: 'electron/cli/blksnapctl.ts', out: 'cli/blksnapctl.mjs', format: 'esm', bundleDeps: true },
];

/** Bundled dependencies: the native ffi-rs and ws's optional native helpers stay outside; CommonJS ones get a require. */
const NODE_BUNDLE = {
  external: ['electron', 'ffi-rs', 'bufferutil', 'utf-8-validate'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};

export async function buildAll({ quiet = false } = {}) {
  // Imported here, not at the top: `npm start` with a fresh build never loads esbuild.
  const { build: esbuild } = await import('esbuild');
  const started = Date.now();
  const startedAt = Date.now();
  for (const entry of ENTRIES) {
    const source = join(root, entry.in);
    if (!existsSync(source)) {
      if (!quiet) console.log(`build: ${entry.in} does not exist yet, skipped`);
      continue;
    }
    await esbuild({
      entryPoints: [source],
      outfile: join(dist, entry.out),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: entry.format,
      sourcemap: true,
      // node_modules stay external (native ffi-rs, electron); the preload bundles everything but electron.
      ...(entry.bundleAll ? { external: ['electron'] } : entry.bundleDeps ? NODE_BUNDLE : { packages: 'external' }),
      logLevel: quiet ? 'error' : 'warning',
    });
  }
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: join(root, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
  writeFileSync(stamp, String(startedAt));
  if (!quiet) console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s → dist/`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifNeeded = process.argv.includes('--if-needed');
  if (ifNeeded && buildIsFresh()) {
    console.log('build: dist/ is up to date');
  } else {
    await buildAll().catch((err) => {
      console.error(`build failed: ${err.message}`);
      process.exit(1);
    });
  }
}
