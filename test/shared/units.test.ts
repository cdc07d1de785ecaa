// groupDigits (shared/units.ts) writes integers as en-US does, without Intl.
import { describe, expect, it } from 'vitest';
import { formatSectors, groupDigits } from '../../shared/units';

describe('groupDigits', () => {
  it('writes every kind of integer exactly as toLocaleString("en-US") does', () => {
    const values = [0, -0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (let p = 1; p <= 15; p++) values.push(10 ** p, 10 ** p - 1, -(10 ** p), 10 ** p + 1, 2 ** (p * 3));
    let seed = 12345;
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push(Math.floor((seed / 2 ** 31) * 10 ** (1 + (i % 15))) * (i % 3 === 0 ? -1 : 1));
    }
    for (const n of values) expect(groupDigits(n), String(n)).toBe(n.toLocaleString('en-US'));
  });

  it('leaves fractions, huge and non-finite numbers to Intl', () => {
    for (const n of [1234.5678, 2 ** 60, -1e21, Infinity, NaN]) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
    expect(formatSectors(268_435_456)).toBe('268,435,456 sectors');
  });
});
