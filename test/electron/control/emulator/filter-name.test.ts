// Filter calls that name another filter, an unknown CTL command or a short optlen (what the module
// interface never sends, a raw client may): the emulator answers as each dialect's module
// (spec §2 CTL and DETACH rows, §4 "CTL with a foreign filter name", §5.2; measured on VAL-7.0,
// spec §10 and the conformance trace replayed below), and nothing changes.
import { describe, expect, it } from 'vitest';
import type { Flavour } from '../../../../electron/control/emulator';
import type { CtlRequest } from '../../../../electron/control/emulator/emulator';
import { BlksnapError } from '../../../../shared/errors';
import { conformanceAvailable, CONFORMANCE_DIR, cText, readTrace, segments, type IoctlRecord } from '../kernel/conformance/trace';
import { skipBecause } from '../../../skip';
import { emulator, MiB, tempDir } from './helpers';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BlksnapError) return err.code;
    throw err;
  }
  return 'ok';
}

const CBTINFO = 0;
const SNAPSHOTADD = 3;
const foreign = (cmd: number, optlen: number, opt?: CtlRequest['opt']): CtlRequest => ({ filterName: 'nosuchfilter', cmd, optlen, opt });

/** The errno of CTL with a foreign name on a device the blksnap filter is attached to (spec §4, §5.2, §10). */
const FOREIGN_CTL: [Flavour, string][] = [['upstream', 'EINVAL'], ['v7', 'EINVAL'], ['v6', 'ENOENT'], ['val-7.0', 'ENOENT'], ['val-13', 'ENOENT']];

describe.each(FOREIGN_CTL)('a filter call naming another filter, %s', (flavour, ctlCode) => {
  it(`CTL answers ${ctlCode} on an attached device and changes nothing (no add, no mark)`, async () => {
    const emu = await emulator(flavour);
    await emu.createDevice('vda', 8 * MiB);
    await emu.attach('/dev/vda');
    const before = await emu.cbtInfo('/dev/vda');
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    expect(await codeOf(emu.ctl('/dev/vda', foreign(CBTINFO, 40)))).toBe(ctlCode);
    expect(await codeOf(emu.ctl('/dev/vda', foreign(SNAPSHOTADD, 16, { snapshotId: id })))).toBe(ctlCode);
    expect(await codeOf(emu.ctl('/dev/vda', foreign(2, 16, { ranges: [{ offsetSectors: 0, countSectors: 8 }] })))).toBe(ctlCode);
    expect(await codeOf(emu.snapshotTake(id))).toBe('ENODEV'); // the foreign add added nothing
    expect(await emu.cbtInfo('/dev/vda')).toEqual(before);
    expect((await emu.cbtMap('/dev/vda', 0, before.blockCount)).some((b) => b !== 0)).toBe(false); // nor marked
    expect((await emu.listDevices())[0]?.tracked).toBe(true);
  });

  it('CTL answers ENOENT on a device without a filter, whatever the name', async () => {
    const emu = await emulator(flavour);
    await emu.createDevice('vdb', 8 * MiB);
    expect(await codeOf(emu.ctl('/dev/vdb', foreign(CBTINFO, 40)))).toBe('ENOENT');
    expect(await codeOf(emu.ctl('/dev/vdb', { filterName: 'blksnap', cmd: CBTINFO, optlen: 40 }))).toBe('ENOENT');
  });

  it('ATTACH answers ENOENT (no such filter registered) and DETACH EINVAL, and the device stays as it was', async () => {
    const emu = await emulator(flavour);
    await emu.createDevice('vda', 8 * MiB);
    await emu.createDevice('vdb', 8 * MiB);
    await emu.attach('/dev/vda');
    expect(await codeOf(emu.attach('/dev/vdb', 'nosuchfilter'))).toBe('ENOENT');
    expect(await codeOf(emu.attach('/dev/vda', 'nosuchfilter'))).toBe('ENOENT'); // the name is looked up before EALREADY
    expect(await codeOf(emu.detach('/dev/vda', 'nosuchfilter'))).toBe('EINVAL');
    expect(await codeOf(emu.detach('/dev/vdb', 'nosuchfilter'))).toBe('ENOENT'); // no filter at all
    expect((await emu.listDevices()).map((d) => [d.name, d.tracked])).toEqual([['vda', true], ['vdb', false]]);
  });

  it('an unknown command answers ENOTTY and a short optlen EINVAL; a CTL as the interface sends it answers as the interface', async () => {
    const emu = await emulator(flavour);
    await emu.createDevice('vda', 8 * MiB);
    await emu.attach('/dev/vda');
    expect(await codeOf(emu.ctl('/dev/vda', { filterName: 'blksnap', cmd: 99, optlen: 64 }))).toBe('ENOTTY');
    expect(await codeOf(emu.ctl('/dev/vda', { filterName: 'blksnap', cmd: CBTINFO, optlen: 8 }))).toBe('EINVAL');
    expect(await codeOf(emu.ctl('/dev/vda', { filterName: 'blksnap', cmd: 1, optlen: 16 }))).toBe('ENODATA'); // no payload to read
    expect(await emu.ctl('/dev/vda', { filterName: 'blksnap', cmd: CBTINFO, optlen: 40 })).toEqual(await emu.cbtInfo('/dev/vda'));
    expect(await emu.ctl('/dev/vda', { filterName: 'blksnap', cmd: 4, optlen: 36 })).toEqual({ errorCode: 0, image: '' });
  });
});

describe('filter names on v1', () => {
  it('refuses a raw CTL or a named detach: v1 has no filter calls', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', 8 * MiB);
    expect(await codeOf(emu.ctl('/dev/vda', foreign(CBTINFO, 40)))).toBe('EUNSUPPORTED');
    expect(await codeOf(emu.detach('/dev/vda', 'nosuchfilter'))).toBe('EUNSUPPORTED');
  });
});

// The filter records of the real VAL-7.0 module's error trace before any snapshot exists
// (seq 0-17), sent to the val-7.0 emulator in order on the same device names.
const skipReplay = skipBecause('the VAL-7.0 filter-call replay on the emulator', !conformanceAvailable && `conformance traces not found at ${CONFORMANCE_DIR}`, 'where ../shared/conformance beside the repository holds the VAL-7.0 traces, and always in CI');
function structBytes(hex: string): Buffer {
  return Buffer.concat(segments(hex).map((s) => (s.kind === 'ptr' ? Buffer.alloc(8) : s.bytes)));
}

describe.skipIf(skipReplay)('VAL-7.0 filter calls replayed on the val-7.0 emulator', () => {
  it('answers every recorded attach, detach and CTL with the recorded errno', async () => {
    const records = readTrace('errors-val-7.0.jsonl').filter((r) => r.fd === 'bdevfilter' && r.seq <= 17);
    const emu = await emulator('val-7.0', { parameters: {} });
    await emu.createDevice('vda', 256 * MiB);
    await emu.createDevice('vdb', 256 * MiB);
    const answers: string[] = [];
    const expected: string[] = [];
    for (const rec of records) {
      expected.push(`${rec.label}: ${rec.errnoName ?? 'ok'}`);
      answers.push(`${rec.label}: ${await codeOf(send(emu, rec))}`);
    }
    expect(answers).toEqual(expected);
    expect(answers.length).toBe(16);
    expect(answers).toContain('attach-char-device: ENOTBLK');
  });
});

function send(emu: Awaited<ReturnType<typeof emulator>>, rec: IoctlRecord): Promise<unknown> {
  const device = cText(rec.inBuffers.devpath ?? '');
  const arg = structBytes(rec.in);
  const name = cText(arg.subarray(8, 40).toString('hex'));
  if (rec.name === 'BDEVFILTER_ATTACH') return emu.attach(device, name);
  if (rec.name === 'BDEVFILTER_DETACH') return emu.detach(device, name);
  const opt = structBytes(rec.inBuffers.opt ?? '');
  const payload = opt.length >= 8 ? { offsetBlocks: opt.readUInt32LE(0), lengthBlocks: opt.readUInt32LE(4) } : {};
  return emu.ctl(device, { filterName: name, cmd: arg.readUInt32LE(40), optlen: arg.readUInt32LE(44), opt: rec.name.endsWith('/SNAPSHOTADD') ? { snapshotId: '00000000-0000-4000-8000-000000000000' } : payload });
}
