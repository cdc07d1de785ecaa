// npm run test:vm: builds (or takes from the cache) Debian's kernel with each Veeam module and
// the patched upstream kernels, one initramfs with the app and the in-guest suite, boots one
// qemu guest per module/kernel and reports every case. Ends with `N passed, N failed, N skipped`
// and writes test-results/vm.json. Options: test/vm/README.md.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { debianKernel, hostTool, patchedKernel, veeamModules, type DebianKernel } from './host/artifacts';
import { CACHE_DIR } from './host/cache';
import { run } from './host/exec';
import { GUESTS, type GuestSpec } from './host/guests';
import { buildInitramfs, REPO } from './host/initramfs';
import { bootGuest } from './host/qemu';
import { collectGuest, tally, type Outcome } from './host/tally';
import { replayOutcome } from './scenario/replay';
import type { ScenarioOutput } from './scenario/steps';

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const wanted = (option('--guest') ?? process.env.VM_GUESTS ?? '').split(',').filter(Boolean);
const only = option('--only') ?? process.env.VM_ONLY;
const jobs = Number(option('--jobs') ?? process.env.VM_JOBS ?? 1);
const guestTimeoutMs = Number(option('--timeout') ?? process.env.VM_GUEST_TIMEOUT ?? 900) * 1000;
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const t0 = Date.now();
const log = (s: string) => console.log(`[vm ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);

const guests = wanted.length ? GUESTS.filter((g) => wanted.includes(g.name)) : GUESTS.filter((g) => !g.notReady);
const leftOut = wanted.length ? [] : GUESTS.filter((g) => g.notReady);
if (wanted.length && guests.length !== wanted.length) {
  console.error(`unknown guest in ${wanted.join(',')}; the guests are ${GUESTS.map((g) => g.name).join(', ')}`);
  process.exit(2);
}

/** Per guest: seconds from qemu's start to its end, and the CPU seconds qemu used (vm.json). */
const guestSeconds: Record<string, { wall: number; cpu: number | null }> = {};
const outcomes: Outcome[] = leftOut.map((g) => ({ guest: g.name, area: '(guest)', name: 'left out', status: 'skipped', ms: 0, reason: `${g.notReady}; runs with --guest ${g.name}` }));
for (const o of outcomes) console.log(`  skip ${o.guest} (${o.reason})`);
const finish = (): never => {
  const totals = tally(outcomes, [...guests, ...leftOut]);
  mkdirSync(join(REPO, 'test-results'), { recursive: true });
  writeFileSync(join(REPO, 'test-results', 'vm.json'), JSON.stringify({ ...totals, seconds: Math.round((Date.now() - t0) / 1000), jobs, guestSeconds }, null, 1));
  for (const g of totals.perGuest) console.log(`  ${g.guest.padEnd(8)} ${g.passed} passed, ${g.failed} failed, ${g.skipped} skipped`);
  log(`done in ${Math.round((Date.now() - t0) / 1000)} s with ${jobs} guest(s) at a time (host load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(totals.failed > 0 ? 1 : 0);
};

// 1. Tools. Outside CI a missing tool skips the suite with the reason; in CI it fails.
const missing: string[] = [];
for (const tool of ['qemu-system-x86_64', 'busybox', 'mke2fs', 'cpio', 'make', 'depmod', 'modprobe', 'dpkg-deb', 'apt-get', 'gcc', 'bc', 'flex', 'bison']) {
  if (!(await hostTool(tool))) missing.push(tool);
}
const prepare = argv.includes('--prepare');
if (missing.length && prepare) {
  log(`nothing prepared: missing ${missing.join(', ')}`);
  process.exit(0);
}
if (missing.length) {
  const why = `missing ${missing.join(', ')} (.ci/run installs them; see test/vm/README.md)`;
  for (const g of guests) outcomes.push({ guest: g.name, area: '(setup)', name: 'tools', status: inCi ? 'failed' : 'skipped', ms: 0, text: why });
  console.log(`${inCi ? 'FAIL' : 'skip'} the VM suite: ${why}${inCi ? '' : '; it runs in CI (.ci/run)'}`);
  finish();
}

// 2. The kernels and modules (cached), the app, one initramfs. The patched 6.12 kernels build
// one after another in the background (nice 10) while the Veeam guests run: they boot last.
log(`cache: ${CACHE_DIR} (host load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
let debian: DebianKernel | null = null;
const kernels = new Map<string, string>();
const kernelBuilds = new Map<string, Promise<string>>();
const moduleDirs = new Map<string, string>();
const setupFailed = new Map<string, string>();
let chain: Promise<unknown> = Promise.resolve();
for (const g of guests) {
  if (g.kernel === 'debian-6.1' || kernelBuilds.has(g.kernel)) continue;
  const kernel = g.kernel;
  const build = chain.then(() => patchedKernel(kernel, log));
  chain = build.catch(() => undefined);
  kernelBuilds.set(kernel, build);
}
for (const g of guests.filter((x) => x.kernel === 'debian-6.1')) {
  try {
    debian ??= await debianKernel(log);
    kernels.set(g.name, debian.vmlinuz);
    moduleDirs.set(g.name, await veeamModules(g, debian, log));
  } catch (err) {
    setupFailed.set(g.name, (err as Error).message);
    log(`${g.name}: could not build what it boots: ${(err as Error).message}`);
  }
}
if (prepare) {
  // --prepare (.ci/run starts it in the background before npm test): build, boot nothing.
  await chain;
  let failed = setupFailed.size;
  for (const [name, build] of kernelBuilds) await build.catch((err: Error) => { failed += 1; log(`${name}: ${err.message}`); });
  log(`prepared in ${Math.round((Date.now() - t0) / 1000)} s${failed ? `, ${failed} failed` : ''}`);
  process.exit(failed ? 1 : 0);
}
await run(process.execPath, [join(REPO, 'build', 'build.mjs'), '--if-needed'], { cwd: REPO });
debian ??= await debianKernel(log).catch(() => null);
const workRoot = join(CACHE_DIR, 'run');
mkdirSync(workRoot, { recursive: true });
const initrd = join(workRoot, 'initramfs.cpio');
await buildInitramfs({
  stage: join(workRoot, 'initramfs-root'),
  out: initrd,
  debian: debian ?? { kver: 'none', bootModules: [] },
  guests: guests.map((spec) => ({ spec, moduleDir: moduleDirs.get(spec.name) })),
});
log(`initramfs ready (${only ? `cases matching /${only}/` : 'every case'})`);

// 3. The guests, `jobs` at a time.
async function runGuest(g: GuestSpec): Promise<void> {
  const build = kernelBuilds.get(g.kernel);
  if (build) {
    const waited = Date.now();
    try {
      kernels.set(g.name, await build);
      if (Date.now() - waited > 1000) log(`${g.name}: waited ${Math.round((Date.now() - waited) / 1000)} s for its kernel`);
    } catch (err) {
      setupFailed.set(g.name, (err as Error).message);
      log(`${g.name}: could not build its kernel: ${(err as Error).message}`);
    }
  }
  const failedSetup = setupFailed.get(g.name);
  if (failedSetup) {
    outcomes.push({ guest: g.name, area: '(setup)', name: 'build', status: 'failed', ms: 0, text: failedSetup });
    return;
  }
  const workDir = join(workRoot, g.name);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  log(`${g.name}: booting ${g.kernel === 'debian-6.1' ? `Debian ${debian?.kver}` : `6.12 + ${g.kernel}`}${g.note ? ` (${g.note})` : ''}`);
  const seen = new Set<string>();
  const boot = () => bootGuest({
    name: g.name,
    kernel: kernels.get(g.name)!,
    initrd,
    workDir,
    timeoutMs: guestTimeoutMs,
    only,
    onLine: (line) => {
      if (process.env.VM_VERBOSE) console.log(`  ${g.name}| ${line}`);
      const boot = line.indexOf('VMTEST-BOOT ');
      if (boot >= 0) log(`${g.name}: /init running (${line.slice(boot + 12)})`);
      const at = line.indexOf('VMTEST ');
      if (at < 0) return;
      try {
        const r = JSON.parse(line.slice(at + 7)) as Record<string, unknown>;
        if (r.type === 'case') {
          seen.add(`${String(r.area)} › ${String(r.name)}`);
          console.log(caseLine(r));
        } else if (r.type === 'start') {
          log(`${g.name}: suite started on ${String(r.kernel)} (node up after ${String(r.nodeStartMs)} ms)`);
        }
      } catch {
        // the result disk has the full report
      }
    },
  });
  let result = await boot();
  // A kernel that died before /init (a TCG timing panic) gets one more boot.
  if (!result.timedOut && !result.console.includes('VMTEST-BOOT')) {
    log(`${g.name}: the kernel stopped before /init; booting once more (first console kept in console-1.log)`);
    renameSync(join(workDir, 'console.log'), join(workDir, 'console-1.log'));
    result = await boot();
  }
  const collected = collectGuest(g, result, guestTimeoutMs, workDir);
  // Each scenario's per-step outputs, for comparison with the emulator (test/vm/README.md).
  const scenarios = (result.report as { scenarios?: unknown[] } | null)?.scenarios ?? [];
  if (result.report) writeFileSync(join(workDir, 'report.json'), JSON.stringify(result.report, null, 1));
  if (scenarios.length) {
    const dir = join(REPO, 'test-results', 'vm-scenarios');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${g.name}.json`), JSON.stringify({ guest: g.name, dialect: g.dialect, scenarios }, null, 1));
  }
  for (const o of collected) if (!seen.has(`${o.area} › ${o.name}`)) console.log(caseLine(o));
  outcomes.push(...collected);
  // The emulator replayed against this run, step by step (scenario/replay.ts).
  const replayed = await replayOutcome(g.name, g.dialect, scenarios as ScenarioOutput[], argv.includes('--record'));
  if (replayed) {
    console.log(caseLine(replayed));
    outcomes.push(replayed);
  }
  const cpu = result.cpuSeconds === null ? '' : ` (qemu used ${Math.round(result.cpuSeconds)} s of CPU)`;
  guestSeconds[g.name] = { wall: Math.round(result.ms / 1000), cpu: result.cpuSeconds === null ? null : Math.round(result.cpuSeconds) };
  log(`${g.name}: ${result.timedOut ? 'KILLED after timeout' : 'finished'} in ${Math.round(result.ms / 1000)} s${cpu}`);
}

function caseLine(r: Record<string, unknown> | Outcome): string {
  const status = r.status === 'passed' ? 'ok  ' : r.status === 'skipped' ? 'skip' : 'FAIL';
  const extra = r.status === 'failed' ? `\n      ${String(r.error ?? r.text ?? '').replace(/\n/g, '\n      ')}` : r.status === 'skipped' ? `  (${String(r.reason ?? r.text ?? '')})` : '';
  const notes = Array.isArray(r.notes) && r.notes.length ? `\n      · ${r.notes.map(String).join('\n      · ')}` : '';
  return `  ${status} ${String(r.guest)} › ${String(r.area)} › ${String(r.name)} (${(Number(r.ms) / 1000).toFixed(1)} s)${extra}${notes}`;
}

const queue = [...guests];
await Promise.all(Array.from({ length: Math.max(1, jobs) }, async () => {
  for (let g = queue.shift(); g; g = queue.shift()) await runGuest(g);
}));
finish();
