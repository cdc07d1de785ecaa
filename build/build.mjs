#!/usr/bin/env node
// Builds the main-process bundles (esbuild) and the renderer (vite) into dist/, each output written
// to a new file renamed into place, and lists what the build was made from (build/fresh.cjs).
// `node build/build.mjs --if-needed` skips the work when that list says dist/ is current.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fresh from './fresh.cjs';
import { replaceFile, writeRendererFiles } from './outputs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
// The freshness check lives in CommonJS (build/start.cjs and bin/blksnapctl.cjs load it without the ES module loader).
const { BUILD_INPUTS: BUILD_LIST, buildIsFresh } = fresh;
export { buildIsFresh };

const ENTRIES = [
  // The Electron main process is an ES module; the sandboxed preload must be CommonJS.
  { in: 'electron/main.ts', out: 'electron/main.mjs', format: 'esm' },
  { in: 'electron/preload.ts', out: 'electron/preload.cjs', format: 'cjs', bundleAll: true },
];

/**
 * Node entries: one CommonJS bundle each with its dependencies (one file to load instead of
 * hundreds of modules), run by a small ES module of the entry's name through the V8 code cache
 * (electron/app/codeCache.ts; test/bench/cold-start.ts, cli.ts). A long run writes its cache after
 * `writeAfterMs`, a short one at exit.
 */
export const NODE_ENTRIES = [
  { in: 'electron/web/main.ts', out: 'web/main', writeAfterMs: 3000 },
  { in: 'electron/serve/main.ts', out: 'serve/main', writeAfterMs: 3000 },
  // The installed blksnapctl checks its inputs before every call and rebuilds (build/cli-build.cjs).
  { in: 'electron/cli/blksnapctl.ts', out: 'cli/blksnapctl', listInputs: true },
];

/**
 * What a bundle depends on besides the sources esbuild reports: how it is built, and the installed
 * packages (npm rewrites node_modules/.package-lock.json at every install that changes them;
 * package-lock.json changes with a git pull that asks for other versions).
 */
const BUILD_INPUTS = ['build/build.mjs', 'build/outputs.mjs', 'package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'tsconfig.json', 'tsconfig.base.json'];
/** The renderer's build configuration: vite.config.ts and the local modules it imports (test/build/buildList.test.ts). */
export const RENDERER_CONFIG = ['vite.config.ts', 'build/inline-css.mjs'];
/** A source modified this close to the build's start may hold an edit the bundle missed (coarse file clocks). */
const EDITED_DURING_BUILD_MS = 100;

/**
 * Writes an inputs list (dist/build.inputs.json, dist/cli/blksnapctl.inputs.json: build/fresh.cjs
 * reads them): the outputs the launchers run, and each input's mtime as bundled (project files only: node_modules counts through
 * BUILD_INPUTS). One modified during the build gets -1, so the next call rebuilds; one dated past
 * the build's end (a copy from a machine whose clock was ahead) is listed as it is, or every call
 * would rebuild (cli-build.cjs compares for equality so that no clock is trusted). Written last,
 * to a new file renamed into place: it says the build is complete.
 */
function writeInputsList(file, { outputs, inputs, startedMs }) {
  const mtimes = {};
  const listedMs = Date.now();
  for (const input of [...new Set([...inputs, ...BUILD_INPUTS])].sort()) {
    const mtimeMs = statSync(join(root, input), { throwIfNoEntry: false })?.mtimeMs ?? null;
    const editedDuring = mtimeMs !== null && mtimeMs >= startedMs - EDITED_DURING_BUILD_MS && mtimeMs <= listedMs + EDITED_DURING_BUILD_MS;
    mtimes[input] = editedDuring ? -1 : mtimeMs;
  }
  replaceFile(file, `${JSON.stringify({ outputs, inputs: mtimes }, null, 1)}\n`);
}

/** A metafile's inputs of this checkout, relative to it (esbuild's are relative to its working directory). */
function projectInputs(metafile) {
  return Object.keys(metafile.inputs)
    .map((path) => relative(root, resolve(root, path)))
    .filter((path) => !path.startsWith('node_modules/') && !path.startsWith('..') && !path.includes(':'));
}

/** esbuild, its outputs written by replaceFile rather than rewritten in place. */
async function buildReplacing(esbuild, options) {
  const result = await esbuild({ ...options, write: false });
  for (const out of result.outputFiles) {
    mkdirSync(dirname(out.path), { recursive: true });
    replaceFile(out.path, out.contents);
  }
  return result;
}

/** esbuild options of a Node entry's bundle: native ffi-rs and ws's optional native helpers stay outside. */
export function nodeBundleOptions(entry) {
  return {
    entryPoints: [join(root, entry.in)],
    outfile: join(dist, `${entry.out}.cjs`),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    // Less to read and hash at every start; names stay, so stack traces still read.
    minifyWhitespace: true,
    minifySyntax: true,
    external: ['electron', 'ffi-rs', 'bufferutil', 'utf-8-validate'],
    // Metafile paths relative to the checkout, whatever directory the build runs from.
    absWorkingDir: root,
    // The sources are ES modules: import.meta.url becomes the bundle's own URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  };
}

/** The ES module `node dist/<entry>.mjs` runs: the bundle through the code cache. */
export function nodeEntryStub(entry) {
  const name = entry.out.split('/').pop();
  const options = entry.writeAfterMs ? `, { writeAfterMs: ${entry.writeAfterMs} }` : '';
  return `// Generated by build/build.mjs: runs ${name}.cjs through the V8 code cache (electron/app/codeCache.ts).
import { runWithCodeCache } from '../code-cache.mjs';

runWithCodeCache(new URL('./${name}.cjs', import.meta.url)${options});
`;
}

/**
 * Builds the Node entries (and the code-cache runner they share) into `outDir`. The runner also
 * as CommonJS, for bin/blksnapctl.cjs: a CommonJS launcher starts without Node's ES module loader.
 */
export async function buildNodeEntries(esbuild, { outDir = dist, entries = NODE_ENTRIES, logLevel = 'warning' } = {}) {
  const startedMs = Date.now();
  const built = { outputs: ['code-cache.mjs', 'code-cache.cjs'].map((f) => join(outDir, f)), inputs: [] };
  // A build that stops half way leaves no list: the launcher then sees it incomplete, not current.
  for (const entry of entries) if (entry.listInputs) rmSync(join(outDir, `${entry.out}.inputs.json`), { force: true });
  const runnerInputs = [];
  for (const format of ['esm', 'cjs']) {
    const result = await buildReplacing(esbuild, {
      entryPoints: [join(root, 'electron/app/codeCache.ts')], outfile: join(outDir, `code-cache.${format === 'esm' ? 'mjs' : 'cjs'}`),
      bundle: true, platform: 'node', target: 'node20', format, logLevel, absWorkingDir: root, metafile: true,
    });
    runnerInputs.push(...projectInputs(result.metafile));
  }
  for (const entry of entries) {
    const bundle = join(outDir, `${entry.out}.cjs`);
    // A cache of an earlier bundle is never read (its key differs) but would linger.
    rmSync(`${bundle}.v8cache`, { force: true });
    const result = await buildReplacing(esbuild, { ...nodeBundleOptions(entry), outfile: bundle, logLevel, metafile: true });
    replaceFile(join(outDir, `${entry.out}.mjs`), nodeEntryStub(entry));
    rmSync(join(outDir, `${entry.out}.mjs.map`), { force: true });
    built.outputs.push(bundle, join(outDir, `${entry.out}.mjs`));
    built.inputs.push(...projectInputs(result.metafile));
    if (entry.listInputs) {
      writeInputsList(join(outDir, `${entry.out}.inputs.json`), {
        outputs: [bundle, join(outDir, 'code-cache.cjs')].map((path) => relative(root, path)),
        inputs: [...runnerInputs, ...projectInputs(result.metafile)],
        startedMs,
      });
    }
  }
  built.inputs.push(...runnerInputs);
  return built;
}

/** The CLI's part of dist/ only (bin/blksnapctl.cjs, when its build is stale): seconds less than buildAll. */
export async function buildCli({ logLevel = 'warning' } = {}) {
  const { build: esbuild } = await import('esbuild');
  await buildNodeEntries(esbuild, { entries: NODE_ENTRIES.filter((e) => e.listInputs), logLevel });
}

/**
 * The web server's first paint (renderer/firstPaint.tsx): the app's components as a Node bundle
 * with React's production build. Only react-dom's renderToStaticMarkup is used, so its legacy
 * server file stands in for react-dom/server, whose streaming half would double the bundle and
 * its load time (the web server loads it while the browser opens the URL, electron/web/firstPaintBundle.ts).
 */
export const FIRST_PAINT = { in: 'renderer/firstPaint.tsx', out: 'web/first-paint.cjs' };

export async function buildFirstPaint(esbuild, { outDir = dist, logLevel = 'warning' } = {}) {
  const staticMarkupOnly = join(root, 'node_modules/react-dom/cjs/react-dom-server-legacy.node.production.js');
  const out = join(outDir, FIRST_PAINT.out);
  rmSync(`${out}.v8cache`, { force: true });
  // Replaced, not rewritten: a web server starting meanwhile loads it whole (firstPaintBundle.ts).
  const result = await buildReplacing(esbuild, {
    entryPoints: [join(root, FIRST_PAINT.in)],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    jsx: 'automatic',
    minify: true,
    sourcemap: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel,
    absWorkingDir: root,
    metafile: true,
    plugins: [{
      name: 'static-markup-only',
      setup(b) {
        b.onResolve({ filter: /^react-dom\/server$/ }, () => ({ path: staticMarkupOnly }));
      },
    }],
  });
  return { outputs: [out], inputs: projectInputs(result.metafile) };
}

/** The Electron main process and its preload (ENTRIES), for the window `npm start` opens. */
export async function buildElectronEntries(esbuild, { outDir = dist, logLevel = 'warning', quiet = false } = {}) {
  const built = { outputs: [], inputs: [] };
  for (const entry of ENTRIES) {
    const source = join(root, entry.in);
    if (!existsSync(source)) {
      if (!quiet) console.log(`build: ${entry.in} does not exist yet, skipped`);
      continue;
    }
    const result = await buildReplacing(esbuild, {
      entryPoints: [source],
      outfile: join(outDir, entry.out),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: entry.format,
      sourcemap: true,
      // node_modules stay external (native ffi-rs, electron); the preload bundles everything but electron.
      ...(entry.bundleAll ? { external: ['electron'] } : { packages: 'external' }),
      logLevel,
      absWorkingDir: root,
      metafile: true,
    });
    built.outputs.push(join(outDir, entry.out));
    built.inputs.push(...projectInputs(result.metafile));
  }
  return built;
}

/**
 * The renderer (vite) into `outDir` (dist/renderer), by writeRendererFiles (build/outputs.mjs): each
 * file renamed into place, index.html last, and the previous build's files kept for the pages
 * still open on it; vite's own writing emptied the folder first. Its inputs are the modules of its
 * graph and of its worker's.
 */
export async function buildRenderer({ outDir = join(dist, 'renderer'), logLevel = 'warn' } = {}) {
  const { build: viteBuild } = await import('vite');
  const ids = new Set();
  const listModules = () => ({
    name: 'blksnap-list-inputs',
    buildEnd() {
      for (const id of this.getModuleIds()) ids.add(id);
    },
  });
  const result = await viteBuild({
    configFile: join(root, 'vite.config.ts'),
    // vite.config.ts's root ('renderer') is resolved against the working directory: a build that
    // `blksnap-manager` started elsewhere found no renderer/index.html.
    root: join(root, 'renderer'),
    logLevel,
    build: { outDir, write: false, emptyOutDir: false },
    plugins: [listModules()],
    worker: { plugins: () => [listModules()] },
  });
  const files = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output)
    .map((file) => ({ fileName: file.fileName, data: file.type === 'chunk' ? file.code : file.source }));
  const written = writeRendererFiles(outDir, files);
  // Module ids are absolute paths, with a query for some (`?worker_file`); virtual ones start with \0.
  const sources = [...ids].filter((id) => isAbsolute(id)).map((id) => id.replace(/\?.*$/, ''));
  return {
    outputs: written.filter((path) => !path.endsWith('.map')),
    inputs: [...RENDERER_CONFIG, ...sources.map((id) => relative(root, id)).filter((path) => !path.startsWith('node_modules/') && !path.startsWith('..'))],
  };
}

/**
 * Everything into dist/, then dist/build.inputs.json (build/fresh.cjs: what npm start checks),
 * written last: removed when the build starts, so a build that stops half way is seen as incomplete.
 */
export async function buildAll({ quiet = false } = {}) {
  // Imported here, not at the top: `npm start` with a fresh build never loads esbuild.
  const { build: esbuild, stop } = await import('esbuild');
  try {
    await buildAllWith(esbuild, quiet);
  } finally {
    // esbuild's service process would stay a child of the server npm start goes on to run, for its
    // whole life; a later build starts it again.
    await stop();
  }
}

async function buildAllWith(esbuild, quiet) {
  const startedMs = Date.now();
  const logLevel = quiet ? 'error' : 'warning';
  mkdirSync(dist, { recursive: true });
  rmSync(join(root, BUILD_LIST), { force: true });
  rmSync(join(dist, '.build-stamp'), { force: true }); // what builds before the list compared against
  const parts = [
    await buildElectronEntries(esbuild, { logLevel, quiet }),
    await buildNodeEntries(esbuild, { logLevel }),
    await buildFirstPaint(esbuild, { logLevel }),
    await buildRenderer({ logLevel: quiet ? 'error' : 'warn' }),
  ];
  writeInputsList(join(root, BUILD_LIST), {
    outputs: parts.flatMap((p) => p.outputs).map((path) => relative(root, path)),
    inputs: parts.flatMap((p) => p.inputs),
    startedMs,
  });
  if (!quiet) console.log(`build: done in ${((Date.now() - startedMs) / 1000).toFixed(1)} s → dist/`);
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
