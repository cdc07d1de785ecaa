// What an in-guest case gets: the guest it runs on, the disks, blksnapctl in this process (the
// fast way: no node start-up) or as a separate process (the CLI across processes), a shell,
// raw device I/O that bypasses nothing but the page cache, and notes for the report.
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, readSync, writeSync } from 'node:fs';
import { runCli } from '../../../electron/cli/main';
import type { GuestSpec } from '../host/guests';
import type { ScenarioOutput } from './report';

export interface CliRun {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
  /** stdout split into lines (the last newline does not start a line). */
  lines: string[];
  ms: number;
}

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface VmCase {
  name: string;
  /** Runs only where this returns true; a string is the reason it does not apply here. */
  when?: (guest: GuestSpec) => true | string;
  /**
   * A known bug that makes this case fail today (e.g. 'issue 19 item 1'): a failure is reported
   * as skipped with this reason, a pass is reported as passed with a note to drop the marker.
   */
  knownBug?: string | ((guest: GuestSpec) => string | undefined);
  /** Default 120 s. The case is failed when it runs longer. */
  timeoutMs?: number;
  run(ctx: VmContext): Promise<void>;
}

export interface VmArea {
  area: string;
  cases: VmCase[];
}

/** The disks every guest has (host side: qemu.ts). */
export const DISKS = {
  /** The original device the cases snapshot: 256 MiB, zero at boot. */
  original: '/dev/vda',
  /** 512 MiB, ext4 with 4 KiB blocks made on the host, mounted at STORE_DIR. */
  store: '/dev/vdb',
  /** The result disk: the suite's JSON goes here. */
  result: '/dev/vdc',
} as const;
export const STORE_DIR = '/mnt/store';
/** A separate node process gets this long: 3–7 s to start on an idle host, a minute on a loaded one. */
export const PROCESS_TIMEOUT_MS = 180_000;

export class VmContext {
  readonly notes: string[] = [];
  /** Scenario step outputs this case recorded (scenario.ts), handed back to the host. */
  readonly scenarios: ScenarioOutput[] = [];
  readonly dev = DISKS.original;
  readonly storeDir = STORE_DIR;

  constructor(
    readonly guest: GuestSpec,
    /** Per-case directory on tmpfs. */
    readonly scratch: string,
    /** The app's state directory shared by every run in this guest (as a user's would be). */
    readonly stateDir: string,
  ) {}

  /** Global options for blksnapctl: the kernel backend, the state dir, a forced dialect where needed. */
  get globals(): string[] {
    return ['--backend', 'kernel', '--emulator-dir', this.stateDir, ...(this.guest.forceDialect ? ['--dialect', this.guest.dialect] : [])];
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** blksnapctl in this process (boots the service for the one command, like a separate run would). */
  async cli(...argv: string[]): Promise<CliRun> {
    const started = Date.now();
    let stdout = '';
    let stderr = '';
    const full = [...this.globals, ...argv];
    const code = await runCli(full, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, { env: process.env });
    return { argv, code, stdout, stderr, lines: splitLines(stdout), ms: Date.now() - started };
  }

  /** Like cli, throwing with the output when the exit code is not 0. */
  async ok(...argv: string[]): Promise<CliRun> {
    const r = await this.cli(...argv);
    if (r.code !== 0) throw new Error(`blksnapctl ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r;
  }

  /** blksnapctl as its own node process (3–7 s to start under TCG). */
  cliProcess(argv: string[], options: { timeoutMs?: number } = {}): Promise<CliRun> {
    return this.process(process.execPath, ['/app/dist/cli/blksnapctl.mjs', ...this.globals, ...argv], options).then((r) => ({ ...r, argv, lines: splitLines(r.stdout) }));
  }

  /** A long-running blksnapctl process (a watcher): its output so far, and a way to stop it. */
  startCli(argv: string[]): RunningProcess {
    return new RunningProcess(process.execPath, ['/app/dist/cli/blksnapctl.mjs', ...this.globals, ...argv]);
  }

  sh(command: string, options: { timeoutMs?: number } = {}): Promise<ShResult> {
    return this.process('/bin/sh', ['-c', command], options);
  }

  async shOk(command: string): Promise<string> {
    const r = await this.sh(command);
    if (r.code !== 0) throw new Error(`${command} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  private process(cmd: string, args: string[], options: { timeoutMs?: number }): Promise<CliRun> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? PROCESS_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL') stderr += `\n[killed after ${options.timeoutMs ?? PROCESS_TIMEOUT_MS} ms]`;
        resolve({ argv: args, code: code ?? 128, stdout, stderr, lines: splitLines(stdout), ms: Date.now() - started });
      });
    });
  }

  /** The module's parameter from /sys/module/<module>/parameters. */
  async moduleParameter(name: string): Promise<string> {
    return (await this.shOk(`cat /sys/module/${this.guest.moduleName}/parameters/${name}`)).trim();
  }

  async setModuleParameter(name: string, value: string): Promise<void> {
    await this.shOk(`echo ${value} > /sys/module/${this.guest.moduleName}/parameters/${name}`);
  }
}

/** Writes `data` at `offset` and waits until it reached the device (through the filter). */
export function writeDevice(path: string, offset: number, data: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads `length` bytes at `offset`. Call flushBuffers first to read the device, not the cache. */
export function readDevice(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

export class RunningProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number>;
  private readonly child;

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => void (this.stdout += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => void (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code ?? 128)));
  }

  /** Resolves when stdout matches, rejects after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.stdout);
      if (m) return m;
      if (Date.now() > until) throw new Error(`no ${pattern} within ${timeoutMs} ms; stdout: ${this.stdout.slice(-800)}; stderr: ${this.stderr.slice(-800)}`);
      await sleep(100);
    }
  }

  async stop(): Promise<number> {
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(killer);
    return code;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function splitLines(stdout: string): string[] {
  return stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n');
}
