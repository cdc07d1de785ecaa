// Item 6 of issue 13: the emulator's crash-recovery notes were overwritten by the backend
// reason and never shown; now the reason the UI shows carries them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmulator } from '../../electron/control/emulator';
import { selectBackend } from '../../electron/control/select';

describe('emulator crash-recovery notes', () => {
  it('an unclean shutdown shows in the backend reason after selection', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-notes-'));
    try {
      const stateDir = path.join(root, 'state');
      const emu = await createEmulator({ stateDir });
      await emu.close();
      const file = path.join(stateDir, 'state.json');
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), cleanShutdown: false }));
      const control = await selectBackend({ backend: 'emulator', dialect: null, emulate: 'upstream', emulatorDir: stateDir });
      try {
        expect(control.info.reason).toMatch(/^--backend emulator was given; reopened after repair: the state was not closed cleanly/);
      } finally {
        await control.close();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
