// The values the event filters offer: snapshot ids, devices and kinds of the events held in the
// ring, counted as events enter and leave it, so the menus never outgrow what is held. Per batch
// the cost is the batch (a map look-up per field); a sorted list is made only when a menu asks
// and something changed since.
import type { AppEvent } from '../../shared/contract';

export type FacetKey = 'snapshotIds' | 'devices' | 'kinds';

const FIELD: Record<FacetKey, (e: AppEvent) => string | null> = {
  snapshotIds: (e) => e.snapshotId,
  devices: (e) => e.device,
  // "module:<kind>" or "app:<kind>": the Kind filter groups them by source.
  kinds: (e) => `${e.source}:${e.kind}`,
};
const KEYS = Object.keys(FIELD) as FacetKey[];

export class EventFacetIndex {
  private readonly counts: Record<FacetKey, Map<string, number>> = { snapshotIds: new Map(), devices: new Map(), kinds: new Map() };
  private readonly sorted: Partial<Record<FacetKey, string[]>> = {};
  /** Grows whenever a value appears or disappears in any facet. */
  version = 0;

  add(e: AppEvent): void {
    for (const key of KEYS) {
      const value = FIELD[key](e);
      if (value === null) continue;
      const map = this.counts[key];
      const n = map.get(value);
      map.set(value, (n ?? 0) + 1);
      if (n === undefined) this.changed(key);
    }
  }

  remove(e: AppEvent): void {
    for (const key of KEYS) {
      const value = FIELD[key](e);
      if (value === null) continue;
      const map = this.counts[key];
      const n = map.get(value);
      if (n === undefined) continue;
      if (n > 1) map.set(value, n - 1);
      else {
        map.delete(value);
        this.changed(key);
      }
    }
  }

  /** How many distinct values a facet has now. */
  size(key: FacetKey): number {
    return this.counts[key].size;
  }

  /** The values of a facet, sorted (the same array until one appears or goes). */
  values(key: FacetKey): readonly string[] {
    return (this.sorted[key] ??= [...this.counts[key].keys()].sort());
  }

  clear(): void {
    for (const key of KEYS) this.counts[key].clear();
    for (const key of KEYS) delete this.sorted[key];
    this.version++;
  }

  private changed(key: FacetKey): void {
    delete this.sorted[key];
    this.version++;
  }
}
