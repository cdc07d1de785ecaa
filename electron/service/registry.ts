// The snapshots this app created or added devices to. The v2 module gives no per-snapshot
// device list, so the service keeps one, in a JSON file so an app restart keeps it, and
// reconciles it with SNAPSHOT_COLLECT (entries of vanished snapshots are dropped).
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { lazySchema, type Infer } from '../../shared/lazySchema';
import { DevicePath, SnapshotId, Sectors, StorageMode } from '../../shared/schemas';
import { writeStateFileSync } from '../app/stateFiles';

const RegistryEntry = lazySchema(() => z.object({
  id: SnapshotId(),
  devices: z.array(DevicePath()),
  createdAtMs: z.number(),
  diffStoragePath: z.string().nullable(),
  /** How the module holds the storage (null in files written before this field). */
  storageMode: StorageMode().nullable().default(null),
  limitSectors: Sectors(),
  taken: z.boolean(),
  /**
   * Storage appended for the snapshot (v1, VAL range mode). Kept here so a later process knows
   * it: a v1 TAKE without storage fails (EFAULT) and the module destroys the snapshot.
   */
  storageSectors: Sectors().default(0),
  /** Devices a `corrupted` event named ("M:m", positive errno): v1 has no SNAPSHOTINFO to ask later. */
  corrupted: z.array(z.object({ device: z.string(), errCode: z.number().int() })).default([]),
  /**
   * Devices another program added before this app took the snapshot: their images appeared during
   * this app's TAKE, and no snapshot of this app holds them. The module names no snapshot's
   * devices, so this is inferred; a snapshot another program took at that very moment would look
   * alike. A device added after the take gets no image, and so shows nowhere.
   */
  addedOutside: z.array(DevicePath()).default([]),
}));
export type RegistryEntry = Infer<typeof RegistryEntry>;
/** What a new entry needs (the rest starts empty). */
export type NewRegistryEntry = Omit<RegistryEntry, 'storageSectors' | 'corrupted' | 'storageMode' | 'addedOutside'> & Partial<Pick<RegistryEntry, 'storageSectors' | 'corrupted' | 'storageMode' | 'addedOutside'>>;

const RegistryFile = lazySchema(() => z.object({ version: z.literal(1), snapshots: z.array(RegistryEntry()) }));

export const REGISTRY_FILE = 'service-registry.json';

export class SnapshotRegistry {
  private readonly entries = new Map<string, RegistryEntry>();
  private readonly file: string | null;

  constructor(dataDir: string | null) {
    this.file = dataDir ? join(dataDir, REGISTRY_FILE) : null;
    this.load();
  }

  get(id: string): RegistryEntry | undefined {
    return this.entries.get(id);
  }

  all(): RegistryEntry[] {
    return [...this.entries.values()];
  }

  add(entry: NewRegistryEntry): void {
    this.entries.set(entry.id, {
      storageSectors: 0, storageMode: null, ...entry, devices: [...entry.devices], corrupted: [...(entry.corrupted ?? [])], addedOutside: [...(entry.addedOutside ?? [])],
    });
    this.save();
  }

  addStorage(id: string, sectors: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.storageSectors += sectors;
    this.save();
  }

  markCorrupted(id: string, device: string, errCode: number): void {
    const entry = this.entries.get(id);
    if (!entry || entry.corrupted.some((c) => c.device === device)) return;
    entry.corrupted.push({ device, errCode });
    this.save();
  }

  addDevice(id: string, device: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.devices.includes(device)) return;
    entry.devices.push(device);
    this.save();
  }

  /** `addedOutside`: devices whose images appeared during this take and no snapshot of this app holds. */
  markTaken(id: string, addedOutside: readonly string[] = []): void {
    const entry = this.entries.get(id);
    if (!entry || (entry.taken && addedOutside.length === 0)) return;
    entry.taken = true;
    entry.addedOutside = [...new Set([...entry.addedOutside, ...addedOutside])];
    this.save();
  }

  remove(id: string): void {
    if (this.entries.delete(id)) this.save();
  }

  /** The registered snapshot holding `device` (added by this app or, inferred, by another program), if any. */
  holderOf(device: string): RegistryEntry | undefined {
    for (const entry of this.entries.values()) if (entry.devices.includes(device) || entry.addedOutside.includes(device)) return entry;
    return undefined;
  }

  /**
   * Drops entries whose snapshot is not in `liveIds`. Entries created after `listedAtMs` are
   * kept: the listing may predate them.
   */
  reconcile(liveIds: readonly string[], listedAtMs: number): string[] {
    const live = new Set(liveIds);
    const gone = this.all().filter((e) => !live.has(e.id) && e.createdAtMs < listedAtMs).map((e) => e.id);
    for (const id of gone) this.entries.delete(id);
    if (gone.length > 0) this.save();
    return gone;
  }

  private load(): void {
    if (!this.file) return;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    try {
      const parsed = RegistryFile().parse(JSON.parse(text));
      for (const entry of parsed.snapshots) this.entries.set(entry.id, entry);
    } catch {
      // An unreadable registry is set aside, not fatal: the service still lists live snapshots.
      renameSync(this.file, `${this.file}.unreadable-${Date.now()}`);
    }
  }

  private save(): void {
    if (!this.file) return;
    const dir = join(this.file, '..');
    mkdirSync(dir, { recursive: true });
    writeStateFileSync(this.file, JSON.stringify({ version: 1, snapshots: this.all() }, null, 2));
  }
}

/** What the parts other than the snapshots part may do with the registry: read it. */
export type RegistryView = Pick<SnapshotRegistry, 'get' | 'all' | 'holderOf'>;
