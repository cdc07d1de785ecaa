// The emulator verbs' options against a fake service.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDirEach } from './harness';

const tmp = tempDirEach('blksnapctl-emu-');

describe('emulator verbs', () => {
  it('emu_write needs a file or a pattern', async () => {
    expect((await run(['emu_write', '-d', '/dev/a', '-o', '0'])).stderr).toBe("Argument 'file' or 'pattern' is missed.\n");
    expect((await run(['emu_write', '-d', '/dev/a', '-o', '0', '-p', '300', '-l', '1'])).code).toBe(1);
  });

  it('emu_write sends the file in order, emu_read writes what it reads', async () => {
    writeFileSync(join(tmp(), 'in'), Buffer.from('hello'));
    const writes: unknown[] = [];
    await run(['emu_write', '--device', '/dev/a', '--offset', '1K', '--file', join(tmp(), 'in')], { emuWrite: async (a) => { writes.push({ ...a, data: Buffer.from(a.data).toString() }); return { ok: true }; } });
    expect(writes).toEqual([{ path: '/dev/a', offsetBytes: 1024, data: 'hello' }]);
    const r = await run(['emu_read', '-d', '/dev/a', '-o', '0', '-l', '3', '--out', join(tmp(), 'out')], { emuRead: async () => new Uint8Array([1, 2, 3]) });
    expect(r.lines).toEqual(['read=3']);
    expect([...readFileSync(join(tmp(), 'out'))]).toEqual([1, 2, 3]);
  });

  it('emu_workload refuses an unknown pattern', async () => {
    const r = await run(['emu_workload', '-d', '/dev/a', '--pattern', 'zigzag', '--block-size', '4K', '--rate', '0', '--duration', '10']);
    expect(r.stderr).toMatch(/--pattern/);
  });
});
