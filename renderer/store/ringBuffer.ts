// A bounded ring of items addressed by a global index that only grows: item g is held while
// g ≥ total − capacity. Appends are batched and never copy the retained items.

export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private appended = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.items = new Array<T | undefined>(capacity);
  }

  /** Items ever appended. */
  get total(): number {
    return this.appended;
  }

  get size(): number {
    return Math.min(this.appended, this.capacity);
  }

  /** Global index of the oldest item still held. */
  get firstIndex(): number {
    return this.appended - this.size;
  }

  /**
   * Appends a batch; `evicted` is called for each held item the batch pushes out (items of the
   * batch itself that never fit are not reported: they were never held).
   */
  push(batch: readonly T[], evicted?: (item: T) => void): void {
    const start = batch.length > this.capacity ? batch.length - this.capacity : 0;
    this.appended += start;
    for (let i = start; i < batch.length; i++) {
      const slot = this.appended % this.capacity;
      const old = this.items[slot];
      if (old !== undefined && evicted) evicted(old);
      this.items[slot] = batch[i];
      this.appended++;
    }
  }

  /** The item with global index g, or undefined when evicted or not yet appended. */
  at(globalIndex: number): T | undefined {
    if (globalIndex < this.firstIndex || globalIndex >= this.appended) return undefined;
    return this.items[globalIndex % this.capacity];
  }

  /** Held items with global index below `end`, oldest first. */
  slice(end = this.appended): T[] {
    const out: T[] = [];
    for (let g = this.firstIndex; g < Math.min(end, this.appended); g++) out.push(this.items[g % this.capacity] as T);
    return out;
  }

  clear(): void {
    this.appended = 0;
    this.items.fill(undefined);
  }
}
