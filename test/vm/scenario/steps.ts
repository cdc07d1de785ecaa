// The shared scenario: one list of blksnapctl steps (and writes to the original) that runs in
// every guest on the real module and, on the host, on the emulator flavours, so the two runs can
// be compared step by step with ids and times normalised (normalise below). Pure: what runs the
// steps is an adapter (the guest's: guest/cases/scenario.ts; the emulator's: ./emulator.ts).

export type Family = 'v1' | 'v2';

export interface ScenarioStep {
  label: string;
  /** blksnapctl argv; ${dev}, ${store}, ${id} are replaced (the id the last create printed). */
  cli?: string[];
  /** A write to the original: `mib` MiB of `byte` at `atMib` MiB (guest: raw I/O; emulator: emu_write). */
  write?: { atMib: number; mib: number; byte: number };
  /** Only for this family (v1: no attach, devices fixed at create). */
  only?: Family;
  /** Where the step's stdout names a snapshot id, the following steps' ${id} becomes it. */
  captureId?: boolean;
}

export interface StepOutput {
  step: number;
  label: string;
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface ScenarioOutput {
  scenario: string;
  family: Family;
  steps: StepOutput[];
}

export interface ScenarioAdapter {
  dev: string;
  store: string;
  cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  write(dev: string, offsetBytes: number, lengthBytes: number, byte: number): Promise<void>;
}

/** v1 guests run it with diff_storage_minimum set to this (64 MiB), so the first request fits -l. */
export const V1_MINIMUM_SECTORS = 131072;

export const SCENARIO: readonly ScenarioStep[] = [
  { label: 'version', cli: ['version'] },
  // v1 has no CBTINFO: the tracker list is read fine and the device is not in it (issue 19 item 11).
  { label: 'cbtinfo untracked', cli: ['cbtinfo', '-d', '${dev}'] },
  { label: 'attach', cli: ['attach', '-d', '${dev}'], only: 'v2' },
  { label: 'attach again', cli: ['attach', '-d', '${dev}'], only: 'v2' },
  { label: 'cbtinfo fresh', cli: ['cbtinfo', '-d', '${dev}'], only: 'v2' },
  { label: 'create', cli: ['snapshot_create', '-f', '${store}', '-l', '256M', '-d', '${dev}'], captureId: true },
  { label: 'collect', cli: ['snapshot_collect'] },
  { label: 'waitevent -t 0 before take', cli: ['snapshot_waitevent', '-i', '${id}', '-t', '0'] },
  { label: 'take', cli: ['snapshot_take', '-i', '${id}'] },
  { label: 'info', cli: ['snapshot_info', '-d', '${dev}'] },
  { label: 'cbtinfo after take', cli: ['cbtinfo', '-d', '${dev}'] },
  { label: 'write 1 MiB', write: { atMib: 8, mib: 1, byte: 0xab } },
  { label: 'info error_code', cli: ['snapshot_info', '-d', '${dev}', '-f', 'error_code'] },
  { label: 'take again', cli: ['snapshot_take', '-i', '${id}'] },
  { label: 'markdirtyblock', cli: ['markdirtyblock', '-d', '${dev}', '-r', '0:8'] },
  { label: 'detach under snapshot', cli: ['detach', '-d', '${dev}'], only: 'v2' },
  { label: 'waitevent -t 0 after take', cli: ['snapshot_waitevent', '-i', '${id}', '-t', '0'] },
  { label: 'destroy', cli: ['snapshot_destroy', '-i', '${id}'] },
  { label: 'destroy again', cli: ['snapshot_destroy', '-i', '${id}'] },
  { label: 'collect after destroy', cli: ['snapshot_collect'] },
  { label: 'waitevent on destroyed', cli: ['snapshot_waitevent', '-i', '${id}', '-t', '10'] },
  { label: 'take destroyed', cli: ['snapshot_take', '-i', '${id}'] },
  { label: 'cbtinfo missing device', cli: ['cbtinfo', '-d', '/dev/nosuchdisk'] },
  { label: 'overflow: create 16M', cli: ['snapshot_create', '-f', '${store}', '-l', '16M', '-d', '${dev}'], captureId: true },
  { label: 'overflow: take', cli: ['snapshot_take', '-i', '${id}'] },
  { label: 'overflow: write 64 MiB', write: { atMib: 16, mib: 64, byte: 0x5a } },
  { label: 'overflow: info', cli: ['snapshot_info', '-d', '${dev}'] },
  { label: 'overflow: waitevent 1', cli: ['snapshot_waitevent', '-i', '${id}', '-t', '250'] },
  { label: 'overflow: waitevent 2', cli: ['snapshot_waitevent', '-i', '${id}', '-t', '250'] },
  { label: 'overflow: destroy', cli: ['snapshot_destroy', '-i', '${id}'] },
  { label: 'detach', cli: ['detach', '-d', '${dev}'], only: 'v2' },
  { label: 'cbtinfo after detach', cli: ['cbtinfo', '-d', '${dev}'] },
  { label: 'attach on v1', cli: ['attach', '-d', '${dev}'], only: 'v1' },
];

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** What may differ between two runs of the same step: ids and times. */
export function normalise(text: string): string {
  return text
    .replace(UUID, '<uuid>')
    .replace(/^time=\d+$/gm, 'time=<t>')
    .replace(/\b\d+(\.\d+)? ?(ms|s)\b/g, '<dur>');
}

export async function runScenario(name: string, family: Family, adapter: ScenarioAdapter): Promise<ScenarioOutput> {
  const steps: StepOutput[] = [];
  let id = '00000000-0000-4000-8000-000000000000';
  let n = 0;
  for (const step of SCENARIO) {
    if (step.only && step.only !== family) continue;
    n += 1;
    const started = Date.now();
    if (step.write) {
      const { atMib, mib, byte } = step.write;
      let code = 0;
      let stderr = '';
      try {
        await adapter.write(adapter.dev, atMib * 2 ** 20, mib * 2 ** 20, byte);
      } catch (err) {
        code = 1;
        stderr = `${(err as Error).message}\n`;
      }
      steps.push({ step: n, label: step.label, argv: ['<write>', String(atMib), String(mib), String(byte)], code, stdout: '', stderr, ms: Date.now() - started });
      continue;
    }
    const argv = (step.cli ?? []).map((a) => a.replace('${dev}', adapter.dev).replace('${store}', adapter.store).replace('${id}', id));
    const r = await adapter.cli(argv);
    if (step.captureId && r.code === 0) id = /^([0-9a-f-]{36})$/m.exec(r.stdout)?.[1] ?? id;
    steps.push({ step: n, label: step.label, argv, code: r.code, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started });
  }
  return { scenario: name, family, steps };
}
