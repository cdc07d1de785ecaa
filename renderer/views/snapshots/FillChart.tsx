import { memo } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { FillSample } from '../../../shared/contract';
import { formatBytes } from '../../../shared/units';
import { EmptyState } from '../../components/common';

const clock = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });

/** Y ticks on binary steps (256 MiB, 512 MiB, 1 GiB, ...) so the axis reads in round sizes. */
export function byteTicks(maxBytes: number): number[] {
  if (!(maxBytes > 0)) return [0];
  const step = 2 ** Math.ceil(Math.log2(maxBytes / 4));
  const ticks = [0];
  while (ticks[ticks.length - 1]! < maxBytes) ticks.push(ticks.length * step);
  return ticks;
}

const TIME_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400].map((s) => s * 1000);

/**
 * X ticks on whole clock steps (1 s, 2 s, 5 s, … 1 day), about `count` of them between `first`
 * and `last`: the labels show whole seconds, so finer ticks would repeat a label.
 */
export function timeTicks(first: number, last: number, count = 6): number[] {
  const span = Math.max(0, last - first);
  const step = TIME_STEPS_MS.find((s) => span / s <= count) ?? TIME_STEPS_MS.at(-1)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(first / step) * step; t <= last; t += step) ticks.push(t);
  return ticks;
}

function largest(samples: FillSample[]): number {
  let max = 0;
  for (const s of samples) max = Math.max(max, s.usedBytes ?? 0, s.allocatedBytes ?? 0, s.limitBytes ?? 0);
  return max;
}

/**
 * Samples up to `nowMs`: the service pushes a sample only when the fill changes, so the last one
 * still holds now; repeating it at `nowMs` draws the flat stretch and gives a chart from the first
 * sample on.
 */
export function extendToNow(samples: FillSample[], nowMs: number): FillSample[] {
  const last = samples.at(-1);
  if (!last || nowMs <= last.timeMs) return samples;
  return [...samples, { ...last, timeMs: nowMs }];
}

// Legend names in the page's text colour (recharts writes each in its line's colour: the light
// Allocated blue was 2.7:1 on white); the lines keep their colours, each at least 3:1 on white.
const TEXT_COLOR = '#1c2330';
const ALLOCATED_STROKE = '#5b8fd6';
const legendText = (value: unknown) => <span style={{ color: TEXT_COLOR }}>{String(value)}</span>;

/** The legend reads as the gauge's does (issue 17 item 11): limit, allocated, used; recharts would sort it alphabetically. */
export const SERIES_ORDER = ['Limit', 'Allocated', 'Used'];

/** The first sample comes within a second of a create; later than this, samples are missing. */
const FIRST_SAMPLE_SLACK_MS = 3000;

/**
 * How far back the chart reaches, truthfully: the history is bounded (the service keeps the newest
 * samples), and a snapshot made by another program or before the service started was sampled
 * only from then on.
 */
export function spanText(firstSampleMs: number, createdAtMs: number | null): string {
  if (createdAtMs === null) return `From ${clock(firstSampleMs)}, when this app began to sample it; its creation time is not known.`;
  if (firstSampleMs <= createdAtMs + FIRST_SAMPLE_SLACK_MS) return `Since its creation at ${clock(createdAtMs)}.`;
  return `From ${clock(firstSampleMs)} only: created at ${clock(createdAtMs)}, its earlier samples are not kept (the newest are).`;
}

/** The fill history on a time axis: used as an area, allocated and the limit as lines; gaps where unknown. */
export const FillChart = memo(function FillChart({ samples: held, nowMs, createdAtMs = null }: { samples: FillSample[]; nowMs: number; createdAtMs?: number | null }) {
  const samples = extendToNow(held, nowMs);
  if (samples.length < 2) return <EmptyState title="No fill sample yet">The first sample arrives within a second of the snapshot's creation.</EmptyState>;
  const ticks = byteTicks(largest(samples));
  const known = (key: 'usedBytes' | 'allocatedBytes' | 'limitBytes') => samples.some((s) => s[key] !== null);
  const first = samples[0]!.timeMs;
  const last = samples.at(-1)!.timeMs;
  return (
    <figure className="chart-box" aria-label={`Fill history from ${clock(first)} to ${clock(last)}, ${held.length} sample${held.length === 1 ? '' : 's'}`}>
      <div className="chart-area">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={samples} margin={{ top: 8, right: 24, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="#e6e9ef" vertical={false} />
          <XAxis dataKey="timeMs" type="number" domain={[first, last]} scale="time" ticks={timeTicks(first, last)} tickFormatter={clock} tick={{ fontSize: 11 }} minTickGap={48} interval="preserveStartEnd" padding={{ left: 0, right: 28 }} allowDataOverflow />
          <YAxis tickFormatter={(v: number) => formatBytes(v)} tick={{ fontSize: 11 }} width={72} domain={[0, ticks[ticks.length - 1]!]} ticks={ticks} />
          <Tooltip
            labelFormatter={(v) => clock(Number(v))}
            formatter={(value, name) => [value === null || value === undefined ? 'unknown' : formatBytes(Number(value)), name]}
            isAnimationActive={false}
          />
          <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} itemSorter={(item) => SERIES_ORDER.indexOf(String(item.value))} formatter={legendText} />
          {known('usedBytes') && <Area type="stepAfter" dataKey="usedBytes" name="Used" stroke="#2563c9" fill="#2563c9" fillOpacity={0.18} isAnimationActive={false} dot={false} connectNulls={false} />}
          {known('allocatedBytes') && <Line type="stepAfter" dataKey="allocatedBytes" name="Allocated" stroke={ALLOCATED_STROKE} strokeWidth={1.5} isAnimationActive={false} dot={false} />}
          {known('limitBytes') && <Line type="stepAfter" dataKey="limitBytes" name="Limit" stroke="#1c2330" strokeDasharray="5 4" isAnimationActive={false} dot={false} />}
        </ComposedChart>
      </ResponsiveContainer>
      </div>
      <figcaption className="small muted">
        {spanText(first, createdAtMs)}
        {!known('usedBytes') && ' Used space is unknown on this backend (the module does not report it).'}
      </figcaption>
    </figure>
  );
});
