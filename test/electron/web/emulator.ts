// A real emulator on a fresh state directory, for transport tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator } from '../../../electron/control/emulator';
import type { EmulatorControl } from '../../../electron/control/types';

export interface TestEmulator {
  emu: EmulatorControl;
  dir: string;
  /** A directory for difference storage (outside the state directory). */
  storageDir: string;
  dispose(): Promise<void>;
}

export async function testEmulator(parameters: Record<string, number> = {}): Promise<TestEmulator> {
  const dir = mkdtempSync(join(tmpdir(), 'blksnap-emu-'));
  const storageDir = mkdtempSync(join(tmpdir(), 'blksnap-diff-'));
  const emu = await createEmulator({ stateDir: join(dir, 'state'), hz: 1000, parameters });
  return {
    emu,
    dir,
    storageDir,
    async dispose() {
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}
