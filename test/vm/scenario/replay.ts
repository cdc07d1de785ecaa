// The emulator replay (issue 19): the shared scenario as a guest ran it on the real module,
// replayed on the emulator flavour that models that module, compared step by step. The module's
// output is the reference. What may differ: ids and times (normalise in steps.ts) and the two
// runs' environments (normaliseEnvironment below). Recordings of the real modules are kept in
// recorded/<guest>.json (npm run test:vm -- --only scenario --record writes them), so the
// replay runs in `npm test` too (replay.test.ts), and in every VM run against the fresh output.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatedFlavour } from '../../../electron/app/options';
import type { Outcome } from '../host/tally';
import { runScenarioOnEmulator } from './emulator';
import { normalise, type ScenarioOutput, type StepOutput } from './steps';

export const RECORDED_DIR = join(import.meta.dirname, 'recorded');

export interface ReplayTarget {
  flavour: EmulatedFlavour;
  /** Names the guest's module has where the emulated flavour has others: [guest's, emulator's]. */
  renames?: [string, string][];
  why?: string;
}

/** The guests an emulator flavour models, and how their names differ. */
export const REPLAY_TARGETS: Record<string, ReplayTarget> = {
  'VAL-7.0': { flavour: 'val-7.0' },
  'VAL-6.3': { flavour: 'v1' },
  // VAL-6.0 is VAL-6.3 before the rename (dialects/v1/NOTES.md): the emulator names images as 6.3.
  'VAL-6.0': { flavour: 'v1', renames: [['/dev/blksnap-image', '/dev/veeamblksnapimg']], why: 'VAL-6.0 names its images blksnap-image<N>' },
  'lk6.15': { flavour: 'upstream' },
  v7: { flavour: 'v7' },
  v6: { flavour: 'v6' },
};

/** What a recording keeps of a run (no step times). */
export interface Recording {
  guest: string;
  dialect: string;
  scenario: ScenarioOutput;
}

export function toRecording(guest: string, dialect: string, out: ScenarioOutput): Recording {
  return { guest, dialect, scenario: { ...out, steps: out.steps.map((s) => ({ ...s, ms: 0 })) } };
}

export function readRecording(guest: string): Recording | null {
  try {
    return JSON.parse(readFileSync(join(RECORDED_DIR, `${guest}.json`), 'utf8')) as Recording;
  } catch {
    return null;
  }
}

/** The storage directory of a run: the scenario's `-f` argument. */
export function storeOf(out: ScenarioOutput): string | null {
  for (const s of out.steps) {
    const i = s.argv.indexOf('-f');
    if (s.argv[0] === 'snapshot_create' && i >= 0) return s.argv[i + 1] ?? null;
  }
  return null;
}

/**
 * The environments' part, the same on both sides: the storage directory's path, the stretch
 * service's allocator (kernel/emulator) and the device its ranges lie on (a guest's disk; the
 * emulator's file itself), device numbers (virtio's major in the guest, the emulator's own; also
 * in the upstream image names `blksnap-<M>-<m>`).
 */
export function normaliseEnvironment(text: string, store: string | null, renames: [string, string][] = []): string {
  let t = store ? text.split(store).join('<store>') : text;
  for (const [from, to] of renames) t = t.split(from).join(to);
  t = t
    .replace(/\bwith (kernel|emulator) storage\b/g, 'with <allocator> storage')
    .replace(/^(\[stretch\] (?:mapped|appended) .*? range\(s\) on )\S+?(;|$)/gm, '$1<storage device>$2')
    .replace(/(?<![\d.])\d+:\d+(?![\d.])/g, '<M:m>')
    .replace(/\b((?:blksnap|vbsnap)-)\d+-\d+\b/g, '$1<M>-<m>'); // upstream image names: blksnap-<M>-<m>
  return normalise(t);
}

export interface StepDiff {
  step: number;
  label: string;
  field: 'label' | 'code' | 'stdout' | 'stderr';
  module: string;
  emulator: string;
}

export function compareRuns(module: ScenarioOutput, emulator: ScenarioOutput, renames: [string, string][] = []): { identical: number; total: number; diffs: StepDiff[] } {
  const moduleStore = storeOf(module);
  const emulatorStore = storeOf(emulator);
  const diffs: StepDiff[] = [];
  let identical = 0;
  const count = Math.max(module.steps.length, emulator.steps.length);
  for (let i = 0; i < count; i += 1) {
    const m: StepOutput | undefined = module.steps[i];
    const e: StepOutput | undefined = emulator.steps[i];
    const step = i + 1;
    const label = m?.label ?? e?.label ?? '?';
    if (!m || !e || m.label !== e.label) {
      diffs.push({ step, label, field: 'label', module: m?.label ?? '<no step>', emulator: e?.label ?? '<no step>' });
      continue;
    }
    let same = true;
    for (const field of ['code', 'stdout', 'stderr'] as const) {
      const a = normaliseEnvironment(String(m[field]), moduleStore, renames);
      const b = normaliseEnvironment(String(e[field]), emulatorStore);
      if (a !== b) {
        same = false;
        diffs.push({ step, label, field, module: a, emulator: b });
      }
    }
    if (same) identical += 1;
  }
  return { identical, total: count, diffs };
}

export function formatDiffs(diffs: readonly StepDiff[]): string {
  return diffs.map((d) => `step ${d.step} "${d.label}" ${d.field}:\n  module:   ${JSON.stringify(d.module)}\n  emulator: ${JSON.stringify(d.emulator)}`).join('\n');
}

export interface ReplayResult {
  flavour: EmulatedFlavour;
  identical: number;
  total: number;
  diffs: StepDiff[];
  /** `N of M steps identical` and every differing step. */
  text: string;
}

/** Runs the scenario on the guest's emulator flavour and compares it with the module's run. */
export async function replay(guest: string, module: ScenarioOutput): Promise<ReplayResult | null> {
  const target = REPLAY_TARGETS[guest];
  if (!target) return null;
  const dir = mkdtempSync(join(tmpdir(), 'vm-replay-'));
  try {
    const emulator = await runScenarioOnEmulator(target.flavour, dir);
    const { identical, total, diffs } = compareRuns(module, emulator, target.renames);
    const head = `${guest} vs --emulate ${target.flavour}: ${identical} of ${total} steps identical`;
    return { flavour: target.flavour, identical, total, diffs, text: diffs.length ? `${head}\n${formatDiffs(diffs)}` : head };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The VM run's replay of one guest (run.ts): its fresh recording against the emulator, as an
 * outcome that fails with the differing steps; with `record`, the recording is also kept in
 * recorded/<guest>.json for replay.test.ts. Null when the guest ran no scenario or no flavour models it.
 */
export async function replayOutcome(guest: string, dialect: string, scenarios: readonly ScenarioOutput[], record: boolean): Promise<Outcome | null> {
  const module = scenarios.find((s) => s.scenario === 'shared');
  const target = REPLAY_TARGETS[guest];
  if (!module || !target) return null;
  const started = Date.now();
  const name = `emulator replay (--emulate ${target.flavour}, step by step)`;
  const notes: string[] = [];
  if (record) {
    mkdirSync(RECORDED_DIR, { recursive: true });
    writeFileSync(join(RECORDED_DIR, `${guest}.json`), `${JSON.stringify(toRecording(guest, dialect, module), null, 1)}\n`);
    notes.push(`recorded in test/vm/scenario/recorded/${guest}.json`);
  } else {
    const kept = readRecording(guest);
    const stale = kept ? compareRuns(module, kept.scenario).diffs.length : null;
    if (stale !== 0) notes.push(stale === null ? 'no recording is kept for replay.test.ts: run with --record' : `the kept recording differs in ${stale} step(s): run with --record to update it`);
  }
  try {
    const result = await replay(guest, module);
    if (!result) return null;
    notes.unshift(`${result.identical} of ${result.total} steps identical`);
    const ms = Date.now() - started;
    return result.diffs.length
      ? { guest, area: 'scenario', name, status: 'failed', ms, error: result.text, notes }
      : { guest, area: 'scenario', name, status: 'passed', ms, notes };
  } catch (err) {
    return { guest, area: 'scenario', name, status: 'failed', ms: Date.now() - started, error: `the emulator run failed: ${(err as Error).stack ?? String(err)}`, notes };
  }
}
