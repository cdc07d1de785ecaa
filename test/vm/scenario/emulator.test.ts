// The shared scenario runs on the emulator flavours the guests are compared with, and records
// every step (the comparison itself needs the guests' outputs: npm run test:vm).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runScenarioOnEmulator } from './emulator';
import { normalise, SCENARIO } from './steps';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the shared VM scenario on the emulator', () => {
  for (const flavour of ['val-7.0', 'v1', 'upstream'] as const) {
    it(`runs every step on --emulate ${flavour}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vm-scenario-'));
      dirs.push(dir);
      const out = await runScenarioOnEmulator(flavour, dir);
      const family = flavour === 'v1' ? 'v1' : 'v2';
      expect(out.steps.map((s) => s.label)).toEqual(SCENARIO.filter((s) => !s.only || s.only === family).map((s) => s.label));
      const byLabel = new Map(out.steps.map((s) => [s.label, s]));
      for (const label of ['version', 'create', 'take', 'info', 'destroy', 'overflow: take']) expect([label, byLabel.get(label)?.code, byLabel.get(label)?.stderr]).toEqual([label, 0, expect.any(String)]);
      expect(normalise(byLabel.get('create')!.stdout)).toBe('<uuid>\n');
    }, 60_000);
  }

  it('normalises ids and times only', () => {
    expect(normalise('0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9 \ntime=123456\nevent=corrupted\n')).toBe('<uuid> \ntime=<t>\nevent=corrupted\n');
  });
});
