// Compares a guest's run of the shared scenario with the emulator's, step by step, ids and
// times normalised: npx tsx test/vm/scenario/compare.ts test-results/vm-scenarios/VAL-6.3.json v1
// Prints each differing step and `N of M steps identical`; exits 1 when any step differs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatedFlavour } from '../../../electron/app/options';
import { runScenarioOnEmulator } from './emulator';
import { normalise, type ScenarioOutput, type StepOutput } from './steps';

export interface StepDiff {
  label: string;
  field: 'code' | 'stdout' | 'stderr';
  guest: string;
  emulator: string;
}

export function compareSteps(guest: readonly StepOutput[], emulator: readonly StepOutput[]): { identical: number; diffs: StepDiff[] } {
  const diffs: StepDiff[] = [];
  let identical = 0;
  guest.forEach((g, i) => {
    const e = emulator[i];
    let same = true;
    for (const field of ['code', 'stdout', 'stderr'] as const) {
      const a = normalise(String(g[field]));
      const b = e ? normalise(String(e[field])) : '<missing step>';
      if (a !== b || (e && e.label !== g.label)) {
        same = false;
        diffs.push({ label: g.label, field, guest: a, emulator: b });
      }
    }
    if (same) identical += 1;
  });
  return { identical, diffs };
}

if (process.argv[1]?.endsWith('compare.ts')) {
  const [file, flavour] = process.argv.slice(2) as [string, EmulatedFlavour];
  if (!file || !flavour) {
    console.error('usage: tsx test/vm/scenario/compare.ts test-results/vm-scenarios/<guest>.json <val-7.0|v1|upstream|val-13>');
    process.exit(2);
  }
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { scenarios: ScenarioOutput[] };
  const guest = saved.scenarios.find((s) => s.scenario === 'shared');
  if (!guest) throw new Error(`${file} has no "shared" scenario`);
  const dir = mkdtempSync(join(tmpdir(), 'vm-compare-'));
  try {
    const emu = await runScenarioOnEmulator(flavour, dir);
    const { identical, diffs } = compareSteps(guest.steps, emu.steps);
    for (const d of diffs) console.log(`step "${d.label}" ${d.field}:\n  guest:    ${JSON.stringify(d.guest)}\n  emulator: ${JSON.stringify(d.emulator)}`);
    console.log(`${identical} of ${guest.steps.length} steps identical`);
    process.exitCode = diffs.length ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
