// The in-guest suite: one node process per guest runs every case that applies to it, one after
// another, on a clean module (leftover snapshots destroyed, devices detached, parameters
// restored) with a fresh state directory each. Each result goes to the serial console as a
// `VMTEST {json}` line as it ends; at the end all results go to the result disk as one JSON
// document (see test/vm/README.md, "What comes back").
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { openKernelBackend } from '../../../electron/control/kernel/probe';
import type { GuestSpec } from '../host/guests';
import { AREAS } from './cases';
import { DISKS, STORE_DIR, VmContext, type VmCase } from './harness';
import { writeResultDisk, type CaseResult, type GuestReport } from './report';

function emit(value: unknown): void {
  process.stdout.write(`VMTEST ${JSON.stringify(value)}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 6).join('\n') : String(err);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Destroys every snapshot and detaches every tracked device, as the next case expects. */
async function cleanModule(guest: GuestSpec): Promise<string[]> {
  const problems: string[] = [];
  const control = await openKernelBackend(guest.forceDialect ? { dialect: guest.dialect } : {});
  try {
    for (const id of await control.snapshotCollect()) await control.snapshotDestroy(id).catch((e: Error) => problems.push(`destroy ${id}: ${e.message}`));
    for (const d of await control.listDevices()) if (d.tracked) await control.detach(d.path).catch((e: Error) => problems.push(`detach ${d.path}: ${e.message}`));
  } finally {
    await control.close();
  }
  return problems;
}

function moduleParameters(guest: GuestSpec): Map<string, string> {
  const dir = `/sys/module/${guest.moduleName}/parameters`;
  const params = new Map<string, string>();
  try {
    for (const name of readdirSync(dir)) params.set(name, readFileSync(join(dir, name), 'utf8').trim());
  } catch {
    // built-in upstream modules may have none
  }
  return params;
}

function restoreParameters(guest: GuestSpec, saved: Map<string, string>): void {
  for (const [name, value] of saved) {
    const path = `/sys/module/${guest.moduleName}/parameters/${name}`;
    try {
      if (readFileSync(path, 'utf8').trim() !== value) writeFileSync(path, value);
    } catch {
      // read-only parameter: never changed by a case
    }
  }
}

async function runCase(guest: GuestSpec, area: string, c: VmCase, index: number, saved: Map<string, string>, report: GuestReport): Promise<CaseResult> {
  const base = { guest: guest.name, area, name: c.name };
  const applies = c.when ? c.when(guest) : true;
  if (applies !== true) return { ...base, status: 'skipped', ms: 0, reason: applies, notes: [] };
  const scratch = `/tmp/case-${index}`;
  const stateDir = `/tmp/state/case-${index}`;
  mkdirSync(scratch, { recursive: true });
  const ctx = new VmContext(guest, scratch, stateDir);
  const started = Date.now();
  let error: string | null = null;
  try {
    await withTimeout(c.run(ctx), c.timeoutMs ?? 120_000, `${area} › ${c.name}`);
  } catch (err) {
    error = errorText(err);
  }
  const ms = Date.now() - started;
  report.scenarios.push(...ctx.scenarios);
  const leftovers = await cleanModule(guest).catch((e: Error) => [`clean-up failed: ${e.message}`]);
  restoreParameters(guest, saved);
  if (leftovers.length > 0) ctx.note(`clean-up after the case: ${leftovers.join('; ')}`);
  const knownBug = typeof c.knownBug === 'function' ? c.knownBug(guest) : c.knownBug;
  if (knownBug) {
    if (error) return { ...base, status: 'skipped', ms, reason: `known bug (${knownBug}): ${error.split('\n')[0]}`, notes: ctx.notes };
    ctx.note(`passes now: drop knownBug '${knownBug}'`);
  }
  return error ? { ...base, status: 'failed', ms, error, notes: ctx.notes } : { ...base, status: 'passed', ms, notes: ctx.notes };
}

async function main(): Promise<number> {
  const name = process.argv[process.argv.indexOf('--guest') + 1];
  const guests = JSON.parse(readFileSync('/vm/guests.json', 'utf8')) as GuestSpec[];
  const guest = guests.find((g) => g.name === name);
  if (!guest) {
    emit({ type: 'fatal', error: `unknown guest "${name}"` });
    return 2;
  }
  const filter = process.env.vmtest_only ? new RegExp(decodeURIComponent(process.env.vmtest_only)) : null;
  const report: GuestReport = { guest: guest.name, kernel: release(), started: new Date().toISOString(), cases: [], scenarios: [] };
  emit({ type: 'start', guest: guest.name, kernel: report.kernel, nodeStartMs: Math.round(process.uptime() * 1000) });
  const mounted = await new VmContext(guest, '/tmp', '/tmp/state').sh(`mount -t ext4 ${DISKS.store} ${STORE_DIR}`);
  if (mounted.code !== 0) emit({ type: 'note', text: `mounting ${DISKS.store} failed: ${mounted.stderr}` });
  const saved = moduleParameters(guest);
  let index = 0;
  for (const { area, cases } of AREAS) {
    for (const c of cases) {
      index += 1;
      if (filter && !filter.test(`${area} › ${c.name}`)) continue;
      const result = await runCase(guest, area, c, index, saved, report);
      report.cases.push(result);
      emit({ type: 'case', ...result });
    }
  }
  report.finished = new Date().toISOString();
  writeResultDisk(DISKS.result, report);
  emit({ type: 'end', guest: guest.name, passed: report.cases.filter((c) => c.status === 'passed').length, failed: report.cases.filter((c) => c.status === 'failed').length });
  return report.cases.some((c) => c.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    emit({ type: 'fatal', error: errorText(err) });
    process.exit(2);
  },
);
