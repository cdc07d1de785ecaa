// The top files by changed bytes as a horizontal bar chart (recharts, a bounded handful of bars).
import { memo } from 'react';
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChangedFile } from '../../../../shared/changedFiles';
import { formatBytes } from '../../../../shared/units';
import { byteTicks } from '../../snapshots/FillChart';

const BARS = 10;

function shortName(path: string): string {
  return path.length <= 36 ? path : `…${path.slice(-35)}`;
}

export const ChangedFilesChart = memo(function ChangedFilesChart({ files }: { files: ChangedFile[] }) {
  const data = [...files].sort((a, b) => b.changedBytes - a.changedBytes).slice(0, BARS).map((f) => ({ name: shortName(f.path), path: f.path, bytes: f.changedBytes }));
  if (data.length === 0) return null;
  const ticks = byteTicks(data[0]!.bytes);
  return (
    <figure className="chart-box changed-files-chart" style={{ height: 40 + 30 * data.length }} aria-label={`Top ${data.length} files by changed bytes: ${data.map((d) => `${d.path} ${formatBytes(d.bytes)}`).join('; ')}`}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
          <XAxis type="number" tickFormatter={(v: number) => formatBytes(v)} tick={{ fontSize: 11 }} domain={[0, ticks[ticks.length - 1]!]} ticks={ticks} />
          <YAxis type="category" dataKey="name" width={240} tick={{ fontSize: 11 }} interval={0} />
          <Tooltip formatter={(value) => [formatBytes(Number(value)), 'Changed']} labelFormatter={(_, payload) => String(payload?.[0]?.payload?.path ?? '')} isAnimationActive={false} />
          <Bar dataKey="bytes" name="Changed" fill="#2563c9" isAnimationActive={false} maxBarSize={22} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
});
