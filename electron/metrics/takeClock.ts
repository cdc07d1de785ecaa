// When each tracked device was last taken. The module keeps no time of a take, only the change
// number, which a take moves on (spec §4.2): a device whose (generation, change number) moves
// to a non-zero change number was taken. Kept in <stateDir>/takes.json so a restart of the
// service does not forget it; a take that happened while the service was down is dated when
// the service sees it (it cannot know better).
import { join } from 'node:path';
import { z } from 'zod';
import type { DeviceSummary, PushSource } from '../../shared/contract';
import { readStateFileSync, writeStateFileSync } from '../app/stateFiles';

const Entry = z.object({ generation: z.string(), changesNumber: z.number().int(), takenAtMs: z.number().nullable() });
const TakesFile = z.object({ devices: z.record(z.string(), Entry) });
type Entry = z.infer<typeof Entry>;

export const TAKES_FILE = 'takes.json';

export class TakeClock {
  private readonly devices = new Map<string, Entry>();

  /** `stateDir` null: memory only. */
  constructor(private readonly stateDir: string | null, private readonly now: () => number = Date.now) {
    if (!stateDir) return;
    try {
      const parsed = TakesFile.safeParse(JSON.parse(readStateFileSync(join(stateDir, TAKES_FILE))));
      if (parsed.success) for (const [device, entry] of Object.entries(parsed.data.devices)) this.devices.set(device, entry);
    } catch {
      // No file yet, or unreadable: start without history (the metric is absent until a take).
    }
  }

  /** Notes what the devices show now; dates a take where the change number moved. */
  observe(devices: readonly DeviceSummary[]): void {
    let changed = false;
    for (const d of devices) {
      if (!d.cbt) continue;
      const before = this.devices.get(d.path);
      const { generationId: generation, changesNumber } = d.cbt;
      if (before && before.generation === generation && before.changesNumber === changesNumber) continue;
      // First sight of a device: a take is known to have happened (n > 0) but not when.
      const taken = before !== undefined && changesNumber > 0;
      this.devices.set(d.path, { generation, changesNumber, takenAtMs: taken ? this.now() : (before?.takenAtMs ?? null) });
      changed = true;
    }
    if (changed) this.save();
  }

  /** Follows the service's device pushes (every poll that changed something), not only scrapes. */
  follow(source: PushSource): () => void {
    return source.subscribe('devices', (devices) => this.observe(devices));
  }

  lastTakeMs(device: string): number | null {
    return this.devices.get(device)?.takenAtMs ?? null;
  }

  private save(): void {
    if (!this.stateDir) return;
    try {
      writeStateFileSync(join(this.stateDir, TAKES_FILE), JSON.stringify({ devices: Object.fromEntries(this.devices) }));
    } catch {
      // Best effort: the clock still works in memory; the next change tries again.
    }
  }
}
