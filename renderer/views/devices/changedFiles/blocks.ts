// Device byte ranges of a changed file → the CBT blocks to tint on the map (merged, bounded).
import type { BlockSelection } from '../HeatmapCanvas';

/** At most this many separate runs are tinted (each is a pass over the visible rows). */
export const MAX_HIGHLIGHT_RUNS = 2000;

export function rangesToBlocks(ranges: readonly { offsetBytes: number; lengthBytes: number }[], blockSizeBytes: number): BlockSelection[] {
  const sorted = [...ranges].sort((a, b) => a.offsetBytes - b.offsetBytes);
  const out: BlockSelection[] = [];
  for (const r of sorted) {
    const firstBlock = Math.floor(r.offsetBytes / blockSizeBytes);
    const lastBlock = Math.floor((r.offsetBytes + r.lengthBytes - 1) / blockSizeBytes);
    const prev = out[out.length - 1];
    if (prev && firstBlock <= prev.lastBlock + 1) prev.lastBlock = Math.max(prev.lastBlock, lastBlock);
    else out.push({ firstBlock, lastBlock });
  }
  if (out.length <= MAX_HIGHLIGHT_RUNS) return out;
  // Too many runs to tint one by one: join neighbours until they fit (the map shows cells, not blocks, at that scale).
  const joined: BlockSelection[] = [];
  const per = Math.ceil(out.length / MAX_HIGHLIGHT_RUNS);
  for (let i = 0; i < out.length; i += per) joined.push({ firstBlock: out[i]!.firstBlock, lastBlock: out[Math.min(out.length, i + per) - 1]!.lastBlock });
  return joined;
}
