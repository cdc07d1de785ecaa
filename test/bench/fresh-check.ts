// What every `npm start` and every installed blksnapctl call pays before it starts: the freshness
// check of dist/ (build/fresh.cjs) on the inputs lists the build wrote. A new node process per
// check (the launchers' own case: nothing is warm), timing `require` plus one check inside it
// (process.cpuUsage and the clock). The last row reads every listed folder's entries, as a start
// does for a folder whose mtime moved since the build (an editor's swap file beside a source).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, machine, ms, option, report, ROOT, stats } from './_app';

/** "a few ms" (the launchers' budget for deciding whether to build). */
const TARGET_CPU_MS = 10;
const runs = option('runs', 30);
const SLOW_LIST = 'dist/.bench-fresh-every-folder.json';

const CHECK = `
  const t0 = process.hrtime.bigint(); const c0 = process.cpuUsage();
  const problem = require(${JSON.stringify(join(ROOT, 'build/fresh.cjs'))}).listedBuildProblem(process.argv[1], process.argv[2]);
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ problem, cpuUs: c.user + c.system, wallUs: Number(process.hrtime.bigint() - t0) / 1000 }));
`;

function checkOnce(list: string): { cpuMs: number; wallMs: number } {
  const r = spawnSync(process.execPath, ['-e', CHECK, ROOT, list], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the check failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { problem: unknown; cpuUs: number; wallUs: number };
  if (out.problem) throw new Error(`dist/ is not current for ${list}: ${JSON.stringify(out.problem)}`);
  return { cpuMs: out.cpuUs / 1000, wallMs: out.wallUs / 1000 };
}

ensureBuilt();
console.log(machine());
const whole = JSON.parse(readFileSync(join(ROOT, 'dist/build.inputs.json'), 'utf8')) as { inputs: object; dirs?: Record<string, { mtimeMs: number }> };
const everyFolder = { ...whole, dirs: Object.fromEntries(Object.entries(whole.dirs ?? {}).map(([dir, entry]) => [dir, { ...entry, mtimeMs: 0 }])) };
writeFileSync(join(ROOT, SLOW_LIST), JSON.stringify(everyFolder));
const cases = [
  { name: `npm start's list (${Object.keys(whole.inputs).length} inputs, ${Object.keys(whole.dirs ?? {}).length} folders)`, list: 'dist/build.inputs.json' },
  { name: 'blksnapctl\'s list', list: 'dist/cli/blksnapctl.inputs.json' },
  { name: 'npm start\'s list, every folder\'s entries read', list: SLOW_LIST },
];
try {
  const figures = cases.map(() => ({ cpu: [] as number[], wall: [] as number[] }));
  // In turn, so that a change of load falls on every case alike.
  for (let i = 0; i < runs; i++) {
    cases.forEach((c, k) => {
      const { cpuMs, wallMs } = checkOnce(c.list);
      figures[k]!.cpu.push(cpuMs);
      figures[k]!.wall.push(wallMs);
    });
  }
  cases.forEach((c, k) => {
    const cpu = stats(figures[k]!.cpu);
    console.log(`${c.name}, ${runs} cold processes: require + one check, wall p50 ${ms(stats(figures[k]!.wall).p50)}, CPU mean ${ms(cpu.mean)}`);
    report('CPU p50', cpu.p50, TARGET_CPU_MS, ms);
  });
} finally {
  rmSync(join(ROOT, SLOW_LIST), { force: true });
}
