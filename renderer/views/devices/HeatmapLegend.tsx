import { memo } from 'react';
import { changeColour, NEWER_THAN_N, OLDER_THAN_N, rgbCss, UNCHANGED, type HeatmapMode } from '../../heatmap/palette';

function Swatch({ colour }: { colour: string }) {
  return <span className="legend-swatch" aria-hidden="true" style={{ background: colour }} />;
}

/** The colour scale of the heatmap, in the same colours the canvas uses. */
export const HeatmapLegend = memo(function HeatmapLegend({ mode, changesNumber }: { mode: HeatmapMode; changesNumber: number }) {
  if (mode.kind === 'since') {
    return (
      <ul className="heatmap-legend" aria-label="Heatmap legend">
        <li><Swatch colour={rgbCss(NEWER_THAN_N)} />changed after {mode.sinceChangeNumber} (read by the incremental)</li>
        <li><Swatch colour={rgbCss(OLDER_THAN_N)} />changed at or before {mode.sinceChangeNumber}</li>
        <li><Swatch colour={rgbCss(UNCHANGED)} />unchanged</li>
        <li className="muted">fainter = fewer of the pixel's blocks changed</li>
      </ul>
    );
  }
  const { lo, hi } = mode;
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `${rgbCss(changeColour(lo + (hi - lo) * t, lo, hi))} ${t * 100}%`).join(', ');
  return (
    <ul className="heatmap-legend" aria-label="Heatmap legend">
      <li><Swatch colour={rgbCss(UNCHANGED)} />unchanged (0)</li>
      {hi === 0 ? (
        <li className="muted">{changesNumber === 0 ? 'no change shows before the first take' : `no block changed up to take #${changesNumber}`}</li>
      ) : (
        <li className="legend-ramp">
          <span>change number {lo}</span>
          <span className="legend-gradient" aria-hidden="true" style={{ background: `linear-gradient(to right, ${stops})` }} />
          <span>{hi}{lo === hi ? '' : ' (newest)'}</span>
        </li>
      )}
      <li className="muted">fainter = fewer of the pixel's blocks changed</li>
    </ul>
  );
});
