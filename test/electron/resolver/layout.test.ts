// blkid's exit 2 means "nothing found" and also "could not open or read" (then it says why on
// stderr: measured "Permission denied" as uid 65534). The layout must not call an unreadable
// image "no recognised filesystem". A stand-in blkid first in PATH answers as blkid does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLayout } from '../../../electron/resolver/layout';
import { tempDir } from '../control/emulator/helpers';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

function standIn(script: string): void {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'blkid'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  process.env.PATH = `${dir}:${savedPath ?? ''}`;
}

describe('readLayout with blkid exit 2', () => {
  it('fails naming the file and blkid\'s reason when blkid could not read it', async () => {
    standIn('echo "blkid: error: $4: Permission denied" >&2\nexit 2');
    await expect(readLayout('/dev/blksnap-252-0', 2 ** 20)).rejects.toThrow(/^blkid: EACCES \(Permission denied\): could not read \/dev\/blksnap-252-0: blkid: error: \/dev\/blksnap-252-0: Permission denied$/);
  });

  it('is no file system when blkid found nothing and said nothing', async () => {
    standIn('exit 2');
    expect(await readLayout('/dev/blksnap-252-0', 2 ** 20)).toEqual({ partitionTable: null, regions: [{ label: '', startBytes: 0, lengthBytes: 2 ** 20, fsType: null }] });
  });
});
