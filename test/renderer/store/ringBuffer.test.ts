import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../../renderer/store/ringBuffer';

describe('RingBuffer', () => {
  it('keeps the newest items up to its capacity, addressed by global index', () => {
    const ring = new RingBuffer<number>(3);
    ring.push([1, 2]);
    ring.push([3, 4]);
    expect(ring.total).toBe(4);
    expect(ring.size).toBe(3);
    expect(ring.firstIndex).toBe(1);
    expect(ring.at(0)).toBeUndefined();
    expect([ring.at(1), ring.at(2), ring.at(3)]).toEqual([2, 3, 4]);
    expect(ring.slice()).toEqual([2, 3, 4]);
    expect(ring.slice(3)).toEqual([2, 3]);
  });

  it('takes a batch larger than its capacity, keeping the batch tail', () => {
    const ring = new RingBuffer<number>(2);
    ring.push([1, 2, 3, 4, 5]);
    expect(ring.total).toBe(5);
    expect(ring.slice()).toEqual([4, 5]);
  });
});
