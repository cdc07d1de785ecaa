// Module events carried from one in-process blksnapctl run to the next. The service booted by
// a short run pumps the module's event queue (so the v1 stretch service can answer
// low_free_space at once); events it drained but no snapshot_waitevent read would die with the
// process. They are kept in <emulatorDir>/blksnapctl-events.json and handed out first, so
// separate runs see one queue per snapshot, oldest first, as the upstream tool sees the module's.
import { mkdirSync, readFileSync } from 'node:fs';
import { writeStateFileSync } from '../app/stateFiles';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { BlksnapApi } from '../../shared/contract';
import { SnapshotEvent } from '../../shared/schemas';
import type { BlksnapService } from '../service';
import { hasCode } from './verbs/common';

export const CARRY_FILE = 'blksnapctl-events.json';
/** Per snapshot, as the service keeps for waitEvent callers. */
const MAX_PER_SNAPSHOT = 1024;

const CarryFile = z.object({ version: z.literal(1), events: z.array(SnapshotEvent) });

function eventKey(e: SnapshotEvent): string {
  return JSON.stringify([e.snapshotId, e.code, e.timeLabelNs, e.device, e.errCode, e.requestedSectors]);
}

class CarriedEvents {
  private events: SnapshotEvent[] = [];
  /** Handed out this run (the service's queue may still hold them; a listener may report them late). */
  private readonly delivered = new Set<string>();

  constructor(private readonly file: string) {
    try {
      this.events = CarryFile.parse(JSON.parse(readFileSync(file, 'utf8'))).events;
    } catch {
      this.events = [];
    }
  }

  add(event: SnapshotEvent): void {
    if (this.delivered.has(eventKey(event))) return;
    this.events.push(event);
    const mine = this.events.filter((e) => e.snapshotId === event.snapshotId);
    if (mine.length > MAX_PER_SNAPSHOT) this.events.splice(this.events.indexOf(mine[0]!), 1);
    this.save();
  }

  /** The oldest carried event of `id`, removed. */
  take(id: string): SnapshotEvent | null {
    const i = this.events.findIndex((e) => e.snapshotId === id);
    if (i < 0) return null;
    const [event] = this.events.splice(i, 1);
    this.delivered.add(eventKey(event!));
    this.save();
    return event!;
  }

  /** An event the service returned: forget our copy; true if it was handed out already. */
  settle(event: SnapshotEvent): boolean {
    const key = eventKey(event);
    if (this.delivered.has(key)) return true;
    this.delivered.add(key);
    const i = this.events.findIndex((e) => eventKey(e) === key);
    if (i >= 0) {
      this.events.splice(i, 1);
      this.save();
    }
    return false;
  }

  get empty(): boolean {
    return this.events.length === 0;
  }

  /** Forgets the events of snapshots that are gone (destroyed without anyone reading them). */
  keepOnly(liveIds: readonly string[]): void {
    const before = this.events.length;
    this.events = this.events.filter((e) => liveIds.includes(e.snapshotId));
    if (this.events.length !== before) this.save();
  }

  drop(id: string): void {
    const before = this.events.length;
    this.events = this.events.filter((e) => e.snapshotId !== id);
    if (this.events.length !== before) this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeStateFileSync(this.file, JSON.stringify({ version: 1, events: this.events }));
  }
}

/** `api` with a waitEvent that hands out carried events first and carries what this run drains. */
export function carryModuleEvents(service: BlksnapService, api: BlksnapApi, stateDir: string): BlksnapApi {
  const carried = new CarriedEvents(join(stateDir, CARRY_FILE));
  service.addLifecycleListener({ moduleEvent: (event) => carried.add(event) });
  let pruned = false;
  const waitEvent: BlksnapApi['waitEvent'] = async (args) => {
    if (!pruned && !carried.empty) {
      pruned = true;
      carried.keepOnly((await api.listSnapshots({})).map((s) => s.id));
    }
    const early = carried.take(args.id);
    if (early) return early;
    for (;;) {
      let event: SnapshotEvent | null;
      try {
        event = await api.waitEvent(args);
      } catch (err) {
        if (hasCode(err, 'ESRCH')) carried.drop(args.id);
        throw err;
      }
      if (!event || !carried.settle(event)) return event;
    }
  };
  return { ...api, waitEvent };
}
