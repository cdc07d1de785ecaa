// Fill histories on disk (<dataDir>/fill-history.json), so a restarted service still lists the
// fill of the snapshots it watches: a server's service restarts (upgrades, crashes) while a
// backup runs. Written at most every few seconds and on close, through the state-file writer.
import { join } from 'node:path';
import { z } from 'zod';
import { FillSample } from '../../shared/contract';
import { lazySchema } from '../../shared/lazySchema';
import { readStateFileSync, writeStateFileSync } from '../app/stateFiles';

export const FILL_HISTORY_FILE = 'fill-history.json';
const FillFile = lazySchema(() => z.object({ version: z.literal(1), snapshots: z.record(z.string(), z.array(FillSample())) }));
/** Enough for a restart to lose little, rare enough to cost nothing at a 500 ms sample interval. */
export const FILL_SAVE_INTERVAL_MS = 5000;

export class FillStore {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, FILL_HISTORY_FILE);
  }

  /** What was saved; an unreadable or foreign file is an empty history (never a failed start). */
  load(): Record<string, FillSample[]> {
    try {
      // Read before the schema is built: no file (the common case) builds none.
      const saved: unknown = JSON.parse(readStateFileSync(this.file));
      const parsed = FillFile().safeParse(saved);
      return parsed.success ? parsed.data.snapshots : {};
    } catch {
      return {};
    }
  }

  save(snapshots: Record<string, FillSample[]>): void {
    writeStateFileSync(this.file, JSON.stringify({ version: 1, snapshots }));
  }
}
