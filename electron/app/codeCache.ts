// Runs a CommonJS bundle of a Node entry (dist/web/main.cjs, dist/serve/main.cjs,
// dist/cli/blksnapctl.cjs) through V8's code cache: the first run stores the compiled code
// beside the bundle (<bundle>.v8cache), later runs skip parsing and compiling most of it.
// Node 22's module.enableCompileCache does this for every module; node 20 only has vm.Script.
// V8 checks a cache against the source's length, not its content, so the cache also carries
// the bundle's size, mtime and the node version, and is ignored when they differ. It is written
// once (at exit, or after `writeAfterMs` for a long run), to a new file renamed into place; a
// directory that cannot be written only means no cache.
import { isAscii } from 'node:buffer';
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** What Node's own CommonJS loader wraps a module in; strict, as the ES module bundles ran. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { "use strict";';
const WRAPPER_TAIL = '\n})';

export interface CodeCacheRun {
  /** The cache was read and V8 accepted it. */
  used: boolean;
  /** Writes the cache now unless it was used or already written; true when it was written. */
  write(): boolean;
}

export function cacheFileOf(bundlePath: string): string {
  return `${bundlePath}.v8cache`;
}

function keyOf(bundlePath: string): string {
  const st = statSync(bundlePath);
  return `${st.size}:${st.mtimeMs}:${process.version}:${process.arch}`;
}

/** The cached data when the file's key matches, else null. Layout: u32 key length, key, data. */
function readCache(cacheFile: string, key: string): Buffer | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return null;
  }
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
    const fd = openSync(tmp, 'wx', 0o644);
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
  const key = keyOf(file);
  const cacheFile = cacheFileOf(file);
  const cachedData = readCache(cacheFile, key);
  const bytes = readFileSync(file);
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
  const module = { exports: {} };
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  return { used, write };
}
