// Runs a CommonJS bundle of a Node entry (dist/web/main.cjs, dist/serve/main.cjs,
// dist/cli/blksnapctl.cjs) through V8's code cache: the first run stores the compiled code
// beside the bundle (<bundle>.v8cache), later runs skip parsing and compiling most of it.
// Node 22's module.enableCompileCache does this for every module; node 20 only has vm.Script.
// V8 checks a cache against the source's length, not its content, so the cache also carries
// the bundle's SHA-256 and the node version, and is ignored when they differ; it is read only
// when this user owns it and no one else can write it (it is code). It is written at exit (or
// after `writeAfterMs` for a long run) when there was none, and again at the exit of a run that
// took a code path the cache's runs had not (codePaths.ts): the new cache holds what the old one
// held and what this run compiled besides, so it comes to hold what the common calls need, not
// only what the first run after a build did. Always to a new file renamed into place; a
// directory that cannot be written only means no cache, and so does one another user owns: root
// running a user's checkout (sudo blksnapctl, sudo npm start) would leave a root-owned file there
// that the user cannot replace (as build/cli-build.cjs will not build there).
//
// Node's built-ins come from process.getBuiltinModule, not `import`: this runs as an ES module
// (dist/code-cache.mjs), and an ES import of a built-in builds its facade, which reads every
// export and so loads what the entry may never use (node:crypto's webcrypto, node:fs's streams).
import { collectCodePaths } from './codePaths';

const { isAscii } = process.getBuiltinModule('node:buffer');
const { createHash } = process.getBuiltinModule('node:crypto');
const { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { dirname } = process.getBuiltinModule('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url');
const { Script } = process.getBuiltinModule('node:vm');

/** What Node's own CommonJS loader wraps a module in; strict, as the ES module bundles ran. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { "use strict";';
const WRAPPER_TAIL = '\n})';

export interface CodeCacheRun {
  /** The cache was read and V8 accepted it. */
  used: boolean;
  /**
   * Writes the cache now unless this run already did, or it used a cache made by runs that took
   * every code path this one noted; true when it was written.
   */
  write(): boolean;
  /** The bundle's module.exports. */
  exports: unknown;
}

export function cacheFileOf(bundlePath: string): string {
  return `${bundlePath}.v8cache`;
}

/** The bundle's content hash, not its size and mtime: `npm pack` gives every file the same mtime. */
function keyOf(bundle: Buffer): string {
  return `${createHash('sha256').update(bundle).digest('hex')}:${process.version}:${process.arch}`;
}

/**
 * The cache file's bytes when it is a regular file owned by this user and writable by no one
 * else: cached data is compiled code, so a file another user could have written is never run.
 */
function readOwnCache(cacheFile: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(cacheFile, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.geteuid?.() ?? st.uid;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o022) !== 0) return null;
    return readFileSync(fd);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

interface Cache {
  data: Buffer;
  /** The code paths the runs that compiled `data` took (codePaths.ts). */
  paths: string[];
}

/**
 * The cache when the file's key matches, else null. Layout: u32 header length, header (the key,
 * a newline, the code paths separated by commas), data.
 */
function readCache(cacheFile: string, key: string): Cache | null {
  const bytes = readOwnCache(cacheFile);
  if (bytes === null) return null;
  if (bytes.length < 4) return null;
  const headerBytes = bytes.readUInt32LE(0);
  if (4 + headerBytes > bytes.length) return null;
  const [fileKey, paths = ''] = bytes.toString('utf8', 4, 4 + headerBytes).split('\n');
  if (fileKey !== key) return null;
  return { data: bytes.subarray(4 + headerBytes), paths: paths === '' ? [] : paths.split(',') };
}

/** True when this process may leave a file in `dir`: it owns it (a folder of another user's is theirs to fill). */
function ownsFolder(dir: string): boolean {
  const uid = process.geteuid?.();
  try {
    return uid === undefined || statSync(dir).uid === uid;
  } catch {
    return false; // gone, or not ours to look into
  }
}

function writeCache(cacheFile: string, key: string, paths: readonly string[], data: () => Buffer): boolean {
  if (!ownsFolder(dirname(cacheFile))) return false;
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    const header = Buffer.alloc(4);
    const keyBuf = Buffer.from(`${key}\n${paths.join(',')}`, 'utf8');
    header.writeUInt32LE(keyBuf.length, 0);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      for (const part of [header, keyBuf, data()]) writeSync(fd, part);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, cacheFile);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created.
    }
    return false;
  }
}

const atExit: (() => boolean)[] = [];

/** One exit listener for every run in this process (tests run many bundles in one). */
function writeAtExit(write: () => boolean): void {
  if (atExit.length === 0) process.once('exit', () => void atExit.forEach((w) => w()));
  atExit.push(write);
}

/** Runs the bundle as Node's CommonJS loader would, with the code cache; see the file comment. */
export function runWithCodeCache(bundleUrl: URL | string, options: { writeAfterMs?: number } = {}): CodeCacheRun {
  const file = bundleUrl instanceof URL || bundleUrl.startsWith('file:') ? fileURLToPath(bundleUrl) : bundleUrl;
  const bytes = readFileSync(file);
  const key = keyOf(bytes);
  const cacheFile = cacheFileOf(file);
  const cache = readCache(cacheFile, key);
  // esbuild writes ASCII (non-ASCII characters escaped): a one-byte string needs no UTF-8 decoding.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const script = new Script(`${WRAPPER_HEAD}${source}${WRAPPER_TAIL}`, { filename: file, ...(cache ? { cachedData: cache.data } : {}) });
  const used = cache !== null && !script.cachedDataRejected;
  const held = new Set(used ? cache.paths : []);
  const taken = collectCodePaths();
  let written = false;
  const write = (): boolean => {
    if (written || (used && [...taken].every((path) => held.has(path)))) return false;
    written = true;
    // A used cache's functions are in the script too: the new cache holds them and this run's.
    // createCachedData (14-48 ms) only where the cache can be written.
    return writeCache(cacheFile, key, [...new Set([...held, ...taken])].sort(), () => script.createCachedData());
  };
  // At exit the cache holds every function compiled by then, not only the top level.
  writeAtExit(write);
  if (!used && options.writeAfterMs !== undefined) setTimeout(write, options.writeAfterMs).unref();
  const module: { exports: unknown } = { exports: {} };
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  return { used, write, exports: module.exports };
}
