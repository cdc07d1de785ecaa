// A path that exists but is no block device (/dev/null, a file, a directory) given to a filter call.
// bdevfilter opens the path as a block device first: ENOTBLK (spec §5.2 "path errors first";
// measured on VAL-7.0 for /dev/null, spec §10 and the trace record attach-char-device). Upstream
// (spec §1) the ioctl goes to the opened path itself, whose driver does not know it: ENOTTY; but
// the kernel client opens no character device, FIFO or socket (opening one can act or hang): it
// refuses those as v1's client refuses every non-block path, EBADARG. A missing path stays ENOENT.
// Nothing changes.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Flavour } from '../../../../electron/control/emulator';
import { codeOf, emulator, failure, MiB, tempDir } from './helpers';

/** Paths that are no block device, each with whether it is a special file (a character device, a FIFO). */
function nonBlockPaths(): [string, boolean][] {
  const dir = tempDir();
  const file = path.join(dir, 'plain.img');
  fs.writeFileSync(file, Buffer.alloc(4096));
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  return [['/dev/null', true], [fifo, true], [file, false], [dir, false]];
}

/** Flavour, the answer for a special file, the answer for a regular file or directory. */
const V2: [Flavour, string, string][] = [
  ['upstream', 'EBADARG', 'ENOTTY'], ['v7', 'EBADARG', 'ENOTTY'], ['v6', 'EBADARG', 'ENOTTY'], ['val-7.0', 'ENOTBLK', 'ENOTBLK'], ['val-13', 'ENOTBLK', 'ENOTBLK'],
];

describe.each(V2)('a path that is no block device, %s', (flavour, special, other) => {
  it(`every filter call answers ${special} for a special file, ${other} for a file or directory, and nothing changes`, async () => {
    const emu = await emulator(flavour);
    await emu.createDevice('vda', 8 * MiB);
    await emu.attach('/dev/vda');
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    for (const [p, isSpecial] of nonBlockPaths()) {
      const code = isSpecial ? special : other;
      const answers = [
        await codeOf(emu.attach(p)),
        await codeOf(emu.attach(p, 'nosuchfilter')), // the path is opened before the name is looked up
        await codeOf(emu.detach(p)),
        await codeOf(emu.cbtInfo(p)),
        await codeOf(emu.snapshotInfo(p)),
        await codeOf(emu.snapshotAdd(id, p)),
        await codeOf(emu.ctl(p, { filterName: 'blksnap', cmd: 0, optlen: 40 })),
      ];
      expect(answers, p).toEqual(Array(answers.length).fill(code));
    }
    const err = await failure(emu.attach('/dev/null'));
    expect(err !== 'resolved' && err.message).toContain('/dev/null is not a block device');
    expect(await codeOf(emu.snapshotTake(id))).toBe('ENODEV'); // nothing was added
    expect((await emu.listDevices()).map((d) => d.path)).toEqual(['/dev/vda']);
  });

  it('a path that does not exist still answers ENOENT', async () => {
    const emu = await emulator(flavour);
    expect(await codeOf(emu.attach(path.join(tempDir(), 'missing')))).toBe('ENOENT');
    expect(await codeOf(emu.cbtInfo('/dev/vdz'))).toBe('ENOENT');
  });
});

describe('a path that is no block device, v1', () => {
  it('is refused before any call, as the kernel client stats it (EBADARG "is not a block device")', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', 8 * MiB);
    for (const [p] of nonBlockPaths()) {
      for (const call of [emu.detach(p), emu.cbtInfo(p), emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 65536, devices: [p] })]) {
        const err = await failure(call);
        expect(err !== 'resolved' && [err.code, err.message], p).toEqual(['EBADARG', `${p} is not a block device`]);
      }
    }
    expect(await codeOf(emu.cbtInfo('/dev/vdz'))).toBe('EBADARG');
    const missing = await failure(emu.cbtInfo('/dev/vdz'));
    expect(missing !== 'resolved' && missing.message).toContain('ENOENT');
  });
});
