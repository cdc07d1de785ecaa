// blksnapctl end to end: `blksnapctl cbtinfo -d /dev/bench0` installed as the README says (a
// symlink to package.json's bin, bin/blksnapctl.cjs, as `npm link` and the service mode's
// `ln -s` make it: the launcher, the bundled CLI through the code cache), once on the emulator
// directory itself and once while a running app owns it (the CLI then talks to it). Target
// (issue 16): ≤ 0.3 s.
// `npx blksnapctl`, which the README mentions as working without installing, is measured beside
// it for information: its extra time is npx's own start-up (npm exec loads npm), not the CLI's.
// Prints figures; asserts nothing on time.
//   npm run bench -- cli [--runs=N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator } from '../../electron/control/emulator';
import { ensureBuilt, machine, ms, option, report, ROOT, stats } from './_app';
import { cpuMeter, type CpuMeter } from './_cpu';

const RUNS = option('runs', 5);

function timeRuns(meter: CpuMeter, command: string[], stateDir: string): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  const [file, ...args] = meter.wrap([...command, 'cbtinfo', '-d', '/dev/bench0', '--emulator-dir', stateDir]);
  for (let i = 0; i < RUNS + 1; i++) {
    meter.start();
    const t = performance.now();
    const r = spawnSync(file!, args, { cwd: ROOT, encoding: 'utf8' });
    const elapsed = performance.now() - t;
    if (r.status !== 0 || !r.stdout.includes('block_count=')) throw new Error(`cbtinfo failed (${r.status}): ${r.stdout}${r.stderr}`);
    const used = meter.stop();
    if (i > 0) {
      wall.push(elapsed);
      cpu.push(used);
    }
  }
  return { wall, cpu };
}

async function main(): Promise<void> {
  ensureBuilt();
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-bench-cli-'));
  const emu = await createEmulator({ stateDir });
  await emu.createDevice('bench0', 2 ** 30);
  await emu.attach('/dev/bench0');
  await emu.close();
  console.log(machine());
  const meter = cpuMeter();
  // What `npm link` puts on the PATH (and the README's server `ln -s`): a symlink to the
  // launcher, run through its #! line.
  const binDir = mkdtempSync(join(tmpdir(), 'blksnap-bench-bin-'));
  const installed = join(binDir, 'blksnapctl');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  symlinkSync(join(ROOT, pkg.bin.blksnapctl!), installed);
  const variants: { name: string; command: string[]; target: boolean }[] = [
    { name: 'blksnapctl (installed as the README says: npm link)', command: [installed], target: true },
    { name: 'npx blksnapctl (informational: npx\'s own start-up included)', command: ['npx', '--no-install', 'blksnapctl'], target: false },
  ];
  try {
    for (const owner of ['no app running', 'an app owns the directory'] as const) {
      let app: ReturnType<typeof spawn> | null = null;
      if (owner !== 'no app running') {
        app = spawn(process.execPath, [join(ROOT, 'dist/web/main.mjs'), '--web', '--no-open', '--port', '0', '--emulator-dir', stateDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve, reject) => {
          let out = '';
          app!.stdout!.on('data', (c: Buffer) => {
            out += c.toString();
            if (out.includes('token=')) resolve();
          });
          app!.once('exit', (code) => reject(new Error(`the app exited (${code})`)));
        });
      }
      try {
        let installedP50 = NaN;
        for (const { name, command, target } of variants) {
          const t = timeRuns(meter, command, stateDir);
          const s = stats(t.wall);
          console.log(`\n${name} cbtinfo, ${owner} (${RUNS} runs after one warm-up)`);
          if (target) {
            installedP50 = s.p50;
            report('p50', s.p50, 300, ms);
          } else {
            console.log(`  p50: ${ms(s.p50)}   no target (not the README's way): npx's own start-up adds ${ms(s.p50 - installedP50)} to the installed command's p50`);
          }
          console.log(`  p95 ${ms(s.p95)}, max ${ms(s.max)}; CPU time of the processes (user + system, ${meter.how}, p50): ${ms(stats(t.cpu).p50)} — on a busy machine the wall time is mostly waiting for a core`);
        }
      } finally {
        if (app) {
          const exited = new Promise((r) => app!.once('exit', r));
          app.kill('SIGTERM');
          await exited;
        }
      }
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(binDir, { recursive: true, force: true });
    meter.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
