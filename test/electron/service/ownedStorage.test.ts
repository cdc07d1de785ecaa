// The storage files this app made: known by path and inode (a new file at the same name is not
// ours), remembered by a later process, and a damaged list means nothing is ours.
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirEach } from '../../tempDir';
import { OWNED_STORAGE_FILE, OwnedStorage } from '../../../electron/service/ownedStorage';

const tmp = tempDirEach('blksnap-owned-');

describe('owned storage', () => {
  it('knows a recorded file, also in a later process, but not another file put at its name', () => {
    const file = join(tmp(), 'diff0');
    writeFileSync(file, 'x');
    const first = new OwnedStorage(tmp());
    expect(first.isOurs(file, statSync(file))).toBe(false);
    first.record(file, statSync(file));
    expect(new OwnedStorage(tmp()).isOurs(file, statSync(file))).toBe(true);
    // The new file is made while the old one exists, so its inode differs, then put at the name.
    const oldStat = statSync(file);
    writeFileSync(`${file}.new`, 'y');
    renameSync(`${file}.new`, file);
    const newStat = statSync(file);
    expect(newStat.ino).not.toBe(oldStat.ino);
    expect(new OwnedStorage(tmp()).isOurs(file, newStat)).toBe(false);
  });

  it('takes nothing as ours from a damaged list, and without a data directory keeps it in memory only', () => {
    const file = join(tmp(), 'diff0');
    writeFileSync(file, 'x');
    writeFileSync(join(tmp(), OWNED_STORAGE_FILE), '{"version":1,"files":[{"path":1}]}');
    expect(new OwnedStorage(tmp()).isOurs(file, statSync(file))).toBe(false);
    const memory = new OwnedStorage(null);
    memory.record(file, statSync(file));
    expect(memory.isOurs(file, statSync(file))).toBe(true);
    expect(new OwnedStorage(null).isOurs(file, statSync(file))).toBe(false);
  });
});
