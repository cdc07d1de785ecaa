// The shared scenario on the emulator, in this process: the host half of the step-by-step
// comparison with the guests' outputs (test-results/vm-scenarios/<guest>.json). The emulated
// original is named `vda` so paths match the guest's /dev/vda.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../electron/cli/main';
import { createEmulator } from '../../../electron/control/emulator';
import type { EmulatedFlavour } from '../../../electron/app/options';
import { runScenario, V1_MINIMUM_SECTORS, type ScenarioOutput } from './steps';

export async function runScenarioOnEmulator(flavour: EmulatedFlavour, dir: string): Promise<ScenarioOutput> {
  const stateDir = join(dir, 'state');
  const store = join(dir, 'store');
  mkdirSync(store, { recursive: true });
  const globals = ['--backend', 'emulator', '--emulate', flavour, '--emulator-dir', stateDir];
  const cli = async (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli([...globals, ...argv], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, { env: {} });
    return { code, stdout, stderr };
  };
  const created = await cli(['emu_create', '--name', 'vda', '--size', '256M']);
  if (created.code !== 0) throw new Error(`emu_create failed: ${created.stderr}`);
  if (flavour === 'v1') {
    const emulator = await createEmulator({ stateDir, flavour });
    await emulator.setParameters({ ...(await emulator.parameters()), diff_storage_minimum: V1_MINIMUM_SECTORS });
    await emulator.close();
  }
  return runScenario(`emulator ${flavour}`, flavour === 'v1' ? 'v1' : 'v2', {
    dev: '/dev/vda',
    store,
    cli,
    write: async (dev, offset, length, byte) => {
      const r = await cli(['emu_write', '-d', dev, '-o', String(offset), '-p', String(byte), '-l', String(length)]);
      if (r.code !== 0) throw new Error(`emu_write: ${r.stderr.trim()}`);
    },
  });
}
