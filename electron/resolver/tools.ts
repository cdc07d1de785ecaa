// Debian's filesystem tools (debugfs, dumpe2fs, xfs_db, blkid, sfdisk) as child processes:
// output read line by line as it comes, commands fed on stdin, cancellable, and a missing
// tool or a failure reported with the tool's own words.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appError, errnoError } from '../../shared/errors';

export interface RunOptions {
  args: string[];
  /** Commands written to stdin (a generator keeps a million commands out of memory). */
  stdin?: Iterable<string>;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  /** Exit codes that are not failures (blkid: 2 = nothing found). */
  okCodes?: number[];
  /** Open descriptors the tool gets as its fds 3, 4, … (a file it reads as /dev/fd/3). */
  fds?: number[];
}

export interface RunResult {
  code: number;
  stderr: string;
}

const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const STDERR_KEEP = 4096;

export function runTool(tool: string, options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(errnoError('ECANCELED', tool, 'cancelled'));
    // TZ=UTC: xfs_db prints times in local time; the C locale keeps numbers and words stable.
    const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:${SBIN_PATH}`, TZ: 'UTC', LC_ALL: 'C', PAGER: 'cat', DEBUGFS_PAGER: '__none__' };
    // Descriptors 0-2 are pipes whatever follows them, so the streams are there.
    const child = spawn(tool, options.args, { stdio: ['pipe', 'pipe', 'pipe', ...(options.fds ?? [])], env }) as ChildProcessWithoutNullStreams;
    if (!options.stdin) child.stdin.end();
    let stderr = '';
    let settled = false;
    const onAbort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < STDERR_KEEP) stderr += d;
    });
    // Lines split by hand: a million-file listing is read several times faster than with readline.
    let lineError: unknown = null;
    let rest = '';
    const emit = (line: string) => {
      if (lineError) return;
      try {
        options.onLine?.(line);
      } catch (err) {
        lineError = err;
        child.kill('SIGKILL');
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const text = rest + chunk;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        emit(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
    });
    const closed = new Promise<void>((r) => child.stdout.once('close', () => {
      if (rest) emit(rest);
      r();
    }));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      reject(err.code === 'ENOENT'
        ? appError('EUNSUPPORTED', `${tool} is not installed (Debian: apt-get install ${packageOf(tool)})`, { tool })
        : appError('EINTERNAL', `${tool} could not start: ${err.message}`, { tool }));
    });
    child.once('close', (code) => {
      void closed.then(() => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        if (options.signal?.aborted) return reject(errnoError('ECANCELED', tool, 'cancelled'));
        if (lineError) return reject(lineError);
        const exit = code ?? -1;
        if (exit !== 0 && !(options.okCodes ?? []).includes(exit)) {
          return reject(errnoError('EIO', tool, `${tool} ${options.args.join(' ')} failed (exit ${exit}): ${stderr.trim().split('\n').slice(-3).join(' / ') || 'no message'}`, { tool, exit }));
        }
        resolve({ code: exit, stderr });
      });
    });
    if (options.stdin && child.stdin) feed(child.stdin, options.stdin[Symbol.iterator]());
  });
}

/** Writes the commands with backpressure; a tool that exits early just ends the feed. */
function feed(stdin: NodeJS.WritableStream, commands: Iterator<string>): void {
  stdin.on('error', () => undefined);
  const pump = () => {
    for (;;) {
      const next = commands.next();
      if (next.done) {
        stdin.end();
        return;
      }
      if (!stdin.write(next.value)) {
        stdin.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

export function packageOf(tool: string): string {
  if (tool === 'debugfs' || tool === 'dumpe2fs') return 'e2fsprogs';
  if (tool.startsWith('xfs_')) return 'xfsprogs';
  if (tool === 'sfdisk') return 'fdisk';
  if (tool === 'blkid') return 'util-linux';
  return tool;
}
