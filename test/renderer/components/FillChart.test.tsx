// @vitest-environment jsdom
// Issue 17 item 12: the fill chart puts samples on a time axis (not evenly spaced), names its
// series in a legend and has something to show from the first sample on.
import { cleanup, render } from '@testing-library/react';
import { cloneElement, type ReactElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FillSample } from '../../../shared/contract';
import { FillChart, timeTicks } from '../../../renderer/views/snapshots/FillChart';

// jsdom lays nothing out: give the chart a fixed size instead of measuring its box.
vi.mock('recharts', async (importOriginal) => {
  const recharts = await importOriginal<typeof import('recharts')>();
  return { ...recharts, ResponsiveContainer: ({ children }: { children: ReactElement<{ width?: number; height?: number }> }) => cloneElement(children, { width: 600, height: 200 }) };
});

afterEach(cleanup);

const MiB = 2 ** 20;
const sample = (timeMs: number, usedBytes: number): FillSample => ({ timeMs, usedBytes, allocatedBytes: 16 * MiB + usedBytes, limitBytes: 128 * MiB } as FillSample);

/** The x of each corner of the Allocated line (a step line: its corners sit at the samples). */
function sampleXs(container: HTMLElement): number[] {
  const d = container.querySelector('.recharts-line-curve:not([stroke-dasharray])')?.getAttribute('d') ?? '';
  return [...d.matchAll(/[ML]\s*([\d.]+)[ ,]([\d.]+)/g)].map((m) => Number(m[1]));
}

describe('FillChart', () => {
  it('spaces samples by their time: a change 1 s after the start sits near the left of a 60 s chart', () => {
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const samples = [sample(t0, 2 * MiB), sample(t0 + 1000, 8 * MiB), sample(t0 + 2000, 16 * MiB), sample(t0 + 60_000, 32 * MiB)];
    const { container } = render(<FillChart samples={samples} nowMs={t0 + 60_000} />);
    const xs = [...new Set(sampleXs(container))].sort((a, b) => a - b);
    expect(xs.length).toBeGreaterThanOrEqual(4);
    const [left, atOne, atTwo] = xs;
    const right = xs.at(-1)!;
    // On a time axis the 1 s and 2 s samples are 1/60 and 2/60 of the way; evenly spaced they would be 1/3 and 2/3.
    expect((atOne! - left!) / (right - left!)).toBeCloseTo(1 / 60, 2);
    expect((atTwo! - left!) / (right - left!)).toBeCloseTo(2 / 60, 2);
  });

  it('names its series in a legend and says the time span it covers', () => {
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const { container, getByRole } = render(<FillChart samples={[sample(t0, 2 * MiB), sample(t0 + 5000, 4 * MiB)]} nowMs={t0 + 5000} />);
    const legend = [...container.querySelectorAll('.recharts-legend-item-text')].map((e) => e.textContent);
    // The gauge's order (FillGauge's legend), not recharts' alphabetical default.
    expect(legend).toEqual(['Limit', 'Allocated', 'Used']);
    expect(getByRole('figure').getAttribute('aria-label')).toMatch(/^Fill history from \d\d:\d\d:\d\d to \d\d:\d\d:\d\d, 2 samples$/);
  });

  it('draws from the first sample on: one sample held until now is a chart, not "no history yet"', () => {
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const { container } = render(<FillChart samples={[sample(t0, 2 * MiB)]} nowMs={t0 + 3000} />);
    expect(container.querySelector('.recharts-area-curve')).not.toBeNull();
  });

  it('puts x ticks on whole clock steps, so no two labels repeat (a 3 s chart showed 17:50:17 twice)', () => {
    const t0 = Date.UTC(2026, 0, 1, 17, 50, 16, 300);
    for (const [span, step] of [[3000, 1000], [60_000, 10_000], [3_600_000, 600_000]] as const) {
      const ticks = timeTicks(t0, t0 + span);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.every((t) => t % step === 0 && t >= t0 && t <= t0 + span)).toBe(true);
    }
    // The chart draws exactly those ticks (recharts' own choice on a 7 s span is not on 2 s steps).
    const { container } = render(<FillChart samples={[sample(t0, 2 * MiB), sample(t0 + 3500, 4 * MiB), sample(t0 + 7000, 8 * MiB)]} nowMs={t0 + 7000} />);
    const labels = [...container.querySelectorAll('.recharts-cartesian-axis-tick-value')].map((e) => e.textContent ?? '').filter((t) => /^\d\d:\d\d:\d\d$/.test(t));
    const clock = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
    expect(labels).toEqual(timeTicks(t0, t0 + 7000).map(clock));
    expect(new Set(labels).size).toBe(labels.length);
  });
});
