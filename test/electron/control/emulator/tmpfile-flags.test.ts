// Directory storage: the emulator opens (and closes) an unnamed O_TMPFILE file as the module does
// (storage-open.ts). O_TMPFILE is __O_TMPFILE | O_DIRECTORY, and O_DIRECTORY is not the same
// number everywhere: a value right only on x86_64 makes an arm64 kernel answer EINVAL to every
// directory storage create.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { oTmpfile } from '../../../../electron/control/kernel/native';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('O_TMPFILE', () => {
  it('is built from the platform\'s O_DIRECTORY (x86_64 0o200000; arm64 and ppc64 0o40000)', () => {
    expect(oTmpfile(0o200000)).toBe(0o20200000);
    expect(oTmpfile(0o40000)).toBe(0o20040000);
    expect(oTmpfile()).toBe(0o20000000 | fs.constants.O_DIRECTORY);
  });

  it('opens an unnamed file in a directory here, which leaves no name behind', () => {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/tmpfile-flags-`);
    dirs.push(dir);
    let fd: number;
    try {
      fd = fs.openSync(dir, oTmpfile() | fs.constants.O_RDWR, 0o600);
    } catch (err) {
      // A temporary directory on a file system without unnamed files: nothing to open here.
      expect((err as NodeJS.ErrnoException).code).toMatch(/^(EOPNOTSUPP|ENOTSUP)$/);
      return;
    }
    try {
      expect(fs.writeSync(fd, Buffer.from('x'))).toBe(1);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.closeSync(fd);
    }
  });
});
