// groupDigits (shared/units.ts) writes integers as en-US does, without Intl.
import { describe, expect, it } from 'vitest';
import { formatDuration, formatSectors, groupDigits } from '../../shared/units';

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

// Seventh session (review): minutes and seconds were floored and rounded apart, so 119.6 s read
// '1 min 60 s' and 7199 s '1 h 60 min' (the fill warning and the snapshot card's time to full).
describe('formatDuration', () => {
  it('never says 60 of a unit: it carries into the next', () => {
    expect(formatDuration(59.6)).toBe('1 min 0 s');
    expect(formatDuration(119.6)).toBe('2 min 0 s');
    expect(formatDuration(3599.6)).toBe('1 h 0 min');
    expect(formatDuration(7199)).toBe('2 h 0 min');
    expect(formatDuration(290)).toBe('4 min 50 s');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
    expect(formatDuration(49.4)).toBe('49 s');
    expect(formatDuration(-3)).toBe('0 s');
    expect(formatDuration(Infinity)).toBe('—');
    expect(formatDuration(72 * 3600)).toBe('3 days');
  });
});
