// The parts of "new map → pixels" one by one, in Node's V8 (the engine Chromium runs), for a
// 2,097,152-block map. Before the first pixels: the service's pass that makes the level the
// canvas shows and the histogram (cbtMapLevel), that answer's frame encoded and decoded, the
// page's pyramid from it and one render of the canvas at the fitting zoom. After them: the map
// itself over the wire (run-length encode attempt, decode), and the changed-since-N summary.
// These are parts of map-to-pixels' figure, not what a user waits for: that is map-to-pixels.
// Figures are CPU time (less disturbed by other work on the machine than wall time).
//   npm run bench -- heatmap-parts
import { buildPyramid, maxChangeNumber, minChangeNumber } from '../../renderer/heatmap/pyramid';
import { pyramidFromLevel } from '../../renderer/views/devices/loadMap';
import { mapLevelAnswer } from '../../shared/cbtLevels';
import { mapLevelAnswerFast } from '../../electron/service/levels/levels';
import type { ApiResult } from '../../shared/contract';
import { buildLut } from '../../renderer/heatmap/palette';
import { renderHeatmap } from '../../renderer/heatmap/render';
import { changedSince } from '../../renderer/heatmap/summary';
import { fitZoom, layoutFor } from '../../renderer/heatmap/view';
import { fittedHeight } from '../../renderer/views/devices/HeatmapCanvas';
import { seededRandom } from '../../shared/random';
import { encodeFrame, decodeFrame } from '../../shared/wire';
import { machine, MAP_BLOCKS, ms, report, stats } from './_app';

const RUNS = 30;
/** The canvas width in the app at a 1400 px window (the map section's content box). */
const WIDTH = 1326;

/** This process's CPU time (ms): steadier than wall time on a machine shared with other work. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Median CPU time of `fn` over `runs` samples, each of `batch` calls (batch: below the clock's resolution). */
function timed(fn: () => void, runs = RUNS, batch = 1): number {
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const t = cpuMs();
    for (let k = 0; k < batch; k++) fn();
    if (i >= 3) times.push((cpuMs() - t) / batch);
  }
  return stats(times).p50;
}

function maps(): Record<string, Uint8Array> {
  const random = seededRandom(16);
  const busy = new Uint8Array(MAP_BLOCKS);
  for (let at = 0; at < MAP_BLOCKS;) {
    const run = 1 + Math.floor(random() * 2048);
    busy.fill(1 + Math.floor(random() * 255), at, Math.min(MAP_BLOCKS, at + run));
    at += run + 1 + Math.floor(random() * 2048);
  }
  const sparse = new Uint8Array(MAP_BLOCKS);
  for (let i = 0; i < 64; i++) sparse.fill(3, i * 30_011, i * 30_011 + 16);
  const dense = Uint8Array.from({ length: MAP_BLOCKS }, () => Math.floor(random() * 256));
  return { sparse, busy, dense };
}

console.log(`${machine()}; CPU time of this process, medians of ${RUNS} runs, 2,097,152-block maps`);
for (const [name, map] of Object.entries(maps())) {
  console.log(`\n${name} map`);
  let frame: string | Uint8Array = '';
  const encode = timed(() => { frame = encodeFrame({ t: 'result', id: 1, ok: true, result: map }); });
  const decode = timed(() => { decodeFrame(frame); });
  console.log(`  the map itself (after the first pixels): encode ${ms(encode)} → ${(frame.length / 1024).toFixed(0)} KiB frame, decode ${ms(decode)}`);
  const height = fittedHeight(MAP_BLOCKS, WIDTH, 384);
  const zoom = fitZoom(MAP_BLOCKS, WIDTH, height);
  const layout = layoutFor({ zoom, firstRow: 0 }, WIDTH, height);
  let answer = mapLevelAnswerFast(map, layout.level);
  const level = timed(() => { answer = mapLevelAnswerFast(map, layout.level); });
  const levelJs = timed(() => { mapLevelAnswer(map, layout.level); });
  let levelFrame: string | Uint8Array = '';
  const levelEncode = timed(() => { levelFrame = encodeFrame({ t: 'result', id: 1, ok: true, result: answer }); });
  let decoded = answer;
  const levelDecode = timed(() => { decoded = (decodeFrame(levelFrame) as { result: ApiResult<'cbtMapLevel'> }).result; });
  const fromLevel = timed(() => { pyramidFromLevel(decoded).level(layout.level); });
  const first = timed(() => { buildPyramid(map).level(layout.level); });
  const coarser = timed(() => { const p = buildPyramid(map); p.level(layout.level); p.level(layout.level + 4); }) - first;
  const pyramid = buildPyramid(map);
  const lut = buildLut({ kind: 'recency', lo: minChangeNumber(pyramid), hi: maxChangeNumber(pyramid) });
  const out = new Uint32Array(WIDTH * height);
  const render = timed(() => renderHeatmap(pyramid, layout, lut, out));
  const since = timed(() => { changedSince(pyramid, 7, { blockSizeBytes: 65_536, deviceCapacityBytes: MAP_BLOCKS * 65_536 }); }, RUNS, 1000);
  console.log(`  service: level ${layout.level} + histogram (cbtMapLevel, WebAssembly) ${ms(level)} (the JavaScript pass, the page's and the fallback: ${ms(levelJs)}); its frame: encode ${ms(levelEncode)} → ${(levelFrame.length / 1024).toFixed(0)} KiB, decode ${ms(levelDecode)}; the page's pyramid from it ${ms(fromLevel)}`);
  console.log(`  (the same level + histogram from the whole map on the page, as before cbtMapLevel: ${ms(first)})`);
  console.log(`  a level 16× coarser, reduced from it: ${ms(Math.max(0, coarser))}`);
  report(`render ${WIDTH}×${height} px at ${2 ** layout.level} blocks/px`, render, 8, ms);
  report('changed-since-N summary (from the histogram)', since, 2, (v) => `${(v * 1000).toFixed(2)} µs`);
  console.log(`  before the first pixels together (service level + encode + decode + pyramid + render): ${ms(level + levelEncode + levelDecode + fromLevel + render)}   [the whole path's target: p50 ≤ 20 ms, see map-to-pixels]`);
}
