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

/** WCAG contrast ratio of a colour (#rrggbb or rgb(r, g, b)) on white. */
function contrastOnWhite(color: string): number {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  const rgb = hex ? hex.slice(1).map((h) => parseInt(h, 16)) : (/rgb\((\d+), (\d+), (\d+)\)/.exec(color) ?? []).slice(1).map(Number);
  if (rgb.length !== 3) throw new Error(`not a colour: ${color}`);
  const [r, g, b] = rgb.map((c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 1.05 / (0.2126 * r! + 0.7152 * g! + 0.0722 * b! + 0.05);
}

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

  // Seventh session (ux): "Allocated" was written in its line's light blue, #6f9fe0: 2.7:1 on white.
  it('writes the legend readably (4.5:1 on white) and draws each series at 3:1 at least', () => {
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const { container } = render(<FillChart samples={[sample(t0, 2 * MiB), sample(t0 + 5000, 4 * MiB)]} nowMs={t0 + 5000} />);
    const items = [...container.querySelectorAll<HTMLElement>('.recharts-legend-item-text')];
    expect(items).toHaveLength(3);
    for (const item of items) {
      // The colour the text is drawn in: the innermost element around it that sets one.
      let e: HTMLElement | null = item;
      while (e?.firstElementChild instanceof HTMLElement) e = e.firstElementChild;
      while (e && !e.style.color) e = e.parentElement;
      expect(e, `${item.textContent} has a colour`).not.toBeNull();
      expect(contrastOnWhite(e!.style.color), `${item.textContent} in ${e!.style.color}`).toBeGreaterThanOrEqual(4.5);
    }
    const strokes = [...container.querySelectorAll('.recharts-line-curve, .recharts-area-curve')].map((e) => e.getAttribute('stroke') ?? '');
    expect(strokes).toHaveLength(3);
    for (const stroke of strokes) expect(contrastOnWhite(stroke), stroke).toBeGreaterThanOrEqual(3);
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

// Eighth session (ux2): the history keeps the newest samples only; a snapshot created earlier showed a
// chart starting after its creation, and nothing said so.
describe('FillChart says how far back it reaches', () => {
  const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const clock = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
  const caption = (container: HTMLElement) => container.querySelector('figcaption')?.textContent ?? '';

  it('from the creation when its first sample is', () => {
    const { container } = render(<FillChart samples={[sample(t0 + 400, 2 * MiB), sample(t0 + 5000, 4 * MiB)]} nowMs={t0 + 6000} createdAtMs={t0} />);
    expect(caption(container)).toBe(`Since its creation at ${clock(t0)}.`);
  });

  it('from its first sample only, saying earlier ones are not kept, when the snapshot is older', () => {
    const first = t0 + 10 * 60_000;
    const { container } = render(<FillChart samples={[sample(first, 2 * MiB), sample(first + 5000, 4 * MiB)]} nowMs={first + 6000} createdAtMs={t0} />);
    expect(caption(container)).toBe(`From ${clock(first)} only: created at ${clock(t0)}, its earlier samples are not kept (the newest are).`);
  });

  it("from when this app began to sample another program's snapshot", () => {
    const { container } = render(<FillChart samples={[sample(t0, 2 * MiB), sample(t0 + 5000, 4 * MiB)]} nowMs={t0 + 6000} createdAtMs={null} />);
    expect(caption(container)).toBe(`From ${clock(t0)}, when this app began to sample it; its creation time is not known.`);
  });
});
