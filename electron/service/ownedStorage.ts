// The storage files this app created or wrote as difference storage, so a later snapshot may
// use them again (the storage policy otherwise takes only empty files). Kept by device and
// inode beside the path: a different file put at the same name is not ours.
import { readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeStateFileSync } from '../app/stateFiles';

export const OWNED_STORAGE_FILE = 'storage-files.json';
const Entry = z.object({ path: z.string(), dev: z.number(), ino: z.number() });
const OwnedFile = z.object({ version: z.literal(1), files: z.array(Entry) });
type Entry = z.infer<typeof Entry>;
const MAX_ENTRIES = 1000;

export class OwnedStorage {
  private entries: Entry[] = [];
  private readonly file: string | null;

  constructor(dataDir: string | null) {
    this.file = dataDir ? join(dataDir, OWNED_STORAGE_FILE) : null;
    if (!this.file) return;
    try {
      this.entries = OwnedFile.parse(JSON.parse(readFileSync(this.file, 'utf8'))).files;
    } catch {
      // Missing or unreadable: nothing is ours, so only empty files are taken (the safe side).
    }
  }

  isOurs(realPath: string, st: Stats): boolean {
    return this.entries.some((e) => e.path === realPath && e.dev === st.dev && e.ino === st.ino);
  }

  record(realPath: string, st: Stats): void {
    if (this.isOurs(realPath, st)) return;
    this.entries = [...this.entries.filter((e) => e.path !== realPath), { path: realPath, dev: st.dev, ino: st.ino }].slice(-MAX_ENTRIES);
    if (this.file) writeStateFileSync(this.file, JSON.stringify({ version: 1, files: this.entries }, null, 1));
  }
}
