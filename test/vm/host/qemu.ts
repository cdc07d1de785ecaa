// Boots one guest in qemu (TCG; KVM with VM_ACCEL=kvm) and collects what its suite reports:
// `VMTEST {json}` lines on the serial console as they come, the full report from the result
// disk at the end. A guest that runs past its timeout is killed and reported as such.
import { spawn } from 'node:child_process';
import { accessSync, constants, closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec';

export interface BootOptions {
  name: string;
  kernel: string;
  initrd: string;
  workDir: string;
  timeoutMs: number;
  /** A regular expression over "area › case" names: only those run. */
  only?: string;
  onLine?: (line: string) => void;
}

export interface BootResult {
  /** The result disk's JSON document, if the suite got to write it. */
  report: unknown;
  /** Every `VMTEST` record seen on the console. */
  records: Record<string, unknown>[];
  console: string;
  timedOut: boolean;
  exitCode: number | null;
  ms: number;
  /** CPU seconds qemu used (user + system, last sampled ~1 s before it ended): a guest's cost, whatever the load. */
  cpuSeconds: number | null;
}

/** User + system CPU seconds of a running process (/proc/PID/stat fields 14 and 15, USER_HZ 100). */
function cpuSecondsOf(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** KVM only when asked for (VM_ACCEL=kvm): a /dev/kvm that exists may still fail (nested, MSRs). */
function kvmWanted(): boolean {
  if (process.env.VM_ACCEL !== 'kvm') return false;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function makeDisks(dir: string): Promise<string[]> {
  const disks = [join(dir, 'original.img'), join(dir, 'store.img'), join(dir, 'result.img')];
  const sizes = [256, 512, 16];
  for (let i = 0; i < disks.length; i += 1) {
    writeFileSync(disks[i]!, '');
    await run('truncate', ['-s', `${sizes[i]}M`, disks[i]!]);
  }
  // The store: ext4 with 4 KiB blocks (v1 needs page-aligned storage ranges).
  await run('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-L', 'vmstore', disks[1]!]);
  return disks;
}

function readResultDisk(path: string): unknown {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    const m = /^VMRESULT (\d+)\n/.exec(head.toString('latin1'));
    if (!m) return null;
    const body = Buffer.alloc(Number(m[1]));
    readSync(fd, body, 0, body.length, m[0].length);
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export async function bootGuest(o: BootOptions): Promise<BootResult> {
  const disks = await makeDisks(o.workDir);
  // no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check can fail and panic.
  const append = ['console=ttyS0', 'loglevel=4', 'panic=-1', 'no_timer_check', `vmtest=${o.name}`, ...(o.only ? [`vmtest_only=${encodeURIComponent(o.only)}`] : [])].join(' ');
  const args = [
    ...(kvmWanted() ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', 'max']),
    '-machine', 'q35', '-m', '2G', '-smp', '2', '-nographic', '-no-reboot', '-monitor', 'none',
    '-kernel', o.kernel, '-initrd', o.initrd, '-append', append,
    ...disks.flatMap((d) => ['-drive', `file=${d},format=raw,if=virtio`]),
  ];
  const started = Date.now();
  const records: Record<string, unknown>[] = [];
  let consoleText = '';
  let pending = '';
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (d: Buffer) => {
    const text = d.toString('utf8').replace(/\r/g, '');
    consoleText += text;
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const at = line.indexOf('VMTEST ');
      if (at >= 0) {
        try {
          records.push(JSON.parse(line.slice(at + 'VMTEST '.length)) as Record<string, unknown>);
        } catch {
          // a kernel message cut into the line: the result disk has the full report
        }
      }
      o.onLine?.(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let cpuSeconds: number | null = null;
  const sampler = setInterval(() => (cpuSeconds = cpuSecondsOf(child.pid) ?? cpuSeconds), 1000);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      consoleText += `\n[qemu could not start: ${err.message}]`;
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  clearTimeout(timer);
  clearInterval(sampler);
  writeFileSync(join(o.workDir, 'console.log'), consoleText);
  return { report: readResultDisk(disks[2]!), records, console: consoleText, timedOut, exitCode, ms: Date.now() - started, cpuSeconds };
}
