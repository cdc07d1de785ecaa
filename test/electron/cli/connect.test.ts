// How a run reaches the service when another process holds the emulator directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootService } from '../../../electron/app/boot';
import { cli } from './harness';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-connect-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('connecting', () => {
  it('waits for another short run to release the emulator directory', async () => {
    const emulatorDir = join(dir, 'state');
    const holder = await bootService({ emulatorDir, backend: 'emulator', dialect: null, emulate: 'upstream' });
    const waiting = cli(['--emulator-dir', emulatorDir, 'version'], { env: {} });
    await new Promise((r) => setTimeout(r, 300));
    await holder.close();
    const r = await waiting;
    expect([r.code, r.lines, r.stderr]).toEqual([0, ['2.0.0.0'], '']);
  });
});
