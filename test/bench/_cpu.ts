// The CPU time (user + system) of a command and of every process it started, in µs, for the
// benchmarks' CPU columns: the command runs under test/bench/rusage.c (wait4's rusage of the whole
// tree, a child subreaper so that a process whose parent exits first, as npm start's node when
// npm is stopped, is counted too), compiled with gcc into a new temporary folder at first use.
// Without gcc: this process's children total from /proc/self/stat, in 10 ms clock ticks and
// without orphaned descendants, and the column says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CpuMeter {
  /** How the figures are taken, for the column's label. */
  readonly how: string;
  /** `command` as it must be run to be measured. */
  wrap(command: readonly string[]): string[];
  /** Call before running a wrapped command. */
  start(): void;
  /** After the wrapped command (and every process it started) has exited: its CPU time, ms. */
  stop(): number;
  close(): void;
}

/** This process's waited-for children so far, ms (cutime + cstime: clock ticks of 10 ms); NaN without /proc. */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

/** `compiler`: the C compiler to build rusage.c with (a test names a missing one to get the fallback). */
export function cpuMeter(compiler = 'gcc'): CpuMeter {
  const dir = mkdtempSync(join(tmpdir(), 'blksnap-bench-cpu-'));
  const runner = join(dir, 'rusage-run');
  const out = join(dir, 'rusage.txt');
  const cc = spawnSync(compiler, ['-O2', '-o', runner, join(import.meta.dirname, 'rusage.c')], { encoding: 'utf8' });
  if (cc.status === 0) {
    return {
      how: 'wait4 rusage of the process tree, µs',
      wrap: (command) => [runner, out, ...command],
      start: () => rmSync(out, { force: true }),
      stop: () => {
        const [user, system] = readFileSync(out, 'utf8').trim().split(' ').map(Number);
        return (user! + system!) / 1000;
      },
      close: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  rmSync(dir, { recursive: true, force: true });
  let before = NaN;
  return {
    how: `10 ms clock ticks of waited-for children only: gcc could not build test/bench/rusage.c (${(cc.error?.message ?? cc.stderr).trim().split('\n')[0]})`,
    wrap: (command) => [...command],
    start: () => void (before = childrenCpuMs()),
    stop: () => childrenCpuMs() - before,
    close: () => undefined,
  };
}
