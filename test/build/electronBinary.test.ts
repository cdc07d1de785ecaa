// npm start's banner when the Electron binary is missing (issue 17 item 15): the install said a
// missing binary is fine, so the start banner must not repeat the electron package's "failed to
// install correctly, please delete node_modules/electron".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:module', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:module')>();
  return {
    ...original,
    createRequire: () => () => {
      throw new Error('Electron failed to install correctly, please delete node_modules/electron and try installing again');
    },
  };
});

describe('electronBinary', () => {
  it('says the binary is not installed and that this is fine, not the electron package\'s own alarm', async () => {
    // @ts-expect-error: a plain .mjs helper shared with build/start.cjs, no type declarations.
    const { electronBinary } = await import('../../build/electron-binary.mjs');
    const found = (electronBinary as () => { path: string | null; reason: string | null })();
    expect(found.path).toBeNull();
    expect(found.reason).toMatch(/^the Electron binary is not installed \(its download was skipped or failed, which is fine\); `npm run fetch-electron` retries the download$/);
    expect(found.reason).not.toMatch(/failed to install correctly|delete node_modules/);
    // The README's sample start banner opens with the line build/start.cjs prints from it.
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(`\nWeb mode: ${found.reason}.\n`);
  });
});
