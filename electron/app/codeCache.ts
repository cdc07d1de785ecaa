// Runs a CommonJS bundle of a Node entry (dist/web/main.cjs, dist/serve/main.cjs,
// dist/cli/blksnapctl.cjs) through V8's code cache: the first run stores the compiled code
// beside the bundle (<bundle>.v8cache), later runs skip parsing and compiling most of it.
// Node 22's module.enableCompileCache does this for every module; node 20 only has vm.Script.
// V8 checks a cache against the source's length, not its content, so the cache also carries
// the bundle's SHA-256 and the node version, and is ignored when they differ; it is read only
// when this user owns it and no one else can write it (it is code). It is written
// once (at exit, or after `writeAfterMs` for a long run), to a new file renamed into place; a
// directory that cannot be written only means no cache.
//
// Node's built-ins come from process.getBuiltinModule, not `import`: this runs as an ES module
// (dist/code-cache.mjs), and an ES import of a built-in builds its facade, which reads every
// export and so loads what the entry may never use (node:crypto's webcrypto, node:fs's streams).
const { isAscii } = process.getBuiltinModule('node:buffer');
const { createHash } = process.getBuiltinModule('node:crypto');
const { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } = process.getBuiltinModule('node:fs');
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
  /** Writes the cache now unless it was used or already written; true when it was written. */
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

/** The cached data when the file's key matches, else null. Layout: u32 key length, key, data. */
function readCache(cacheFile: string, key: string): Buffer | null {
  const bytes = readOwnCache(cacheFile);
  if (bytes === null) return null;
  if (bytes.length < 4) return null;
  const keyBytes = bytes.readUInt32LE(0);
  if (4 + keyBytes > bytes.length || bytes.toString('utf8', 4, 4 + keyBytes) !== key) return null;
  return bytes.subarray(4 + keyBytes);
}

function writeCache(cacheFile: string, key: string, data: Buffer): boolean {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    const header = Buffer.alloc(4);
    const keyBuf = Buffer.from(key, 'utf8');
    header.writeUInt32LE(keyBuf.length, 0);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      for (const part of [header, keyBuf, data]) writeSync(fd, part);
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

/** Runs the bundle as Node's CommonJS loader would, with the code cache; see the file comment. */
export function runWithCodeCache(bundleUrl: URL | string, options: { writeAfterMs?: number } = {}): CodeCacheRun {
  const file = bundleUrl instanceof URL || bundleUrl.startsWith('file:') ? fileURLToPath(bundleUrl) : bundleUrl;
  const bytes = readFileSync(file);
  const key = keyOf(bytes);
  const cacheFile = cacheFileOf(file);
  const cachedData = readCache(cacheFile, key);
  // esbuild writes ASCII (non-ASCII characters escaped): a one-byte string needs no UTF-8 decoding.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const script = new Script(`${WRAPPER_HEAD}${source}${WRAPPER_TAIL}`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const used = cachedData !== null && !script.cachedDataRejected;
  let written = false;
  const write = (): boolean => {
    if (used || written) return false;
    written = true;
    return writeCache(cacheFile, key, script.createCachedData());
  };
  if (!used) {
    // At exit the cache holds every function compiled by then, not only the top level.
    process.once('exit', () => void write());
    if (options.writeAfterMs !== undefined) setTimeout(write, options.writeAfterMs).unref();
  }
  const module: { exports: unknown } = { exports: {} };
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  return { used, write, exports: module.exports };
}
