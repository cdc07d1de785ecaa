// The service's cbtMapLevel pass in WebAssembly (levels.wat): the same answer as
// mapLevelAnswer in shared/cbtLevels.ts, 3-5x faster on a dense map, which is most of what the
// service does between "Reload map" and its answer. Levels below 3, and any runtime without
// WebAssembly SIMD, take the JavaScript pass. Only the service uses this: the page's CSP does
// not allow compiling WebAssembly, and the page never reduces a whole map on its main thread.
import { countBytesFor, levelCountFor, mapLevelAnswer } from '../../../shared/cbtLevels';
import { LEVELS_WASM_BASE64 } from './bytes';

export interface LevelExports {
  memory: WebAssembly.Memory;
  level3(map: number, end: number, max: number, changed: number, hist: number): void;
  levelWide(map: number, end: number, shift: number, max: number, changed: number, width: number, hist: number): void;
}

/** Four histogram tables of 256 u32 at offset 0; the map follows. */
const TABLES_BYTES = 4 * 256 * 4;
const PAGE = 65_536;
/**
 * A WebAssembly memory never shrinks. An instance whose memory grew past this (a map of over
 * ~24M blocks) is let go after its pass, so a long-running service does not keep the largest
 * map it ever reduced; the next pass starts a fresh instance (tens of microseconds).
 */
export const RETAINED_MEMORY_BYTES = 32 * 2 ** 20;

/** undefined: not compiled yet; null: WebAssembly (or its SIMD) is missing here. */
let compiled: WebAssembly.Module | null | undefined;
let loaded: LevelExports | undefined;

/** The module's instance, or null where it cannot be (no WebAssembly, no SIMD): callers fall back. */
export function levelsWasm(): LevelExports | null {
  if (loaded) return loaded;
  // Not `??=` below alone: null (cannot compile here) is nullish too, and would be tried again at every pass.
  if (compiled === null) return null;
  try {
    compiled ??= new WebAssembly.Module(Uint8Array.from(atob(LEVELS_WASM_BASE64), (c) => c.charCodeAt(0)));
    loaded = new WebAssembly.Instance(compiled).exports as unknown as LevelExports;
  } catch {
    compiled = null;
  }
  return loaded ?? null;
}

/** Lets go of the shared instance when its memory has grown past RETAINED_MEMORY_BYTES. */
function releaseIfLarge(wasm: LevelExports): void {
  if (wasm === loaded && wasm.memory.buffer.byteLength > RETAINED_MEMORY_BYTES) loaded = undefined;
}

export type MapLevelAnswer = ReturnType<typeof mapLevelAnswer>;

/** Where a pass keeps what in the module's memory: tables, the map, the maxima, the counts. */
interface Layout { buckets: number; width: number; mapAt: number; padded: number; maxAt: number; changedAt: number; end: number }

function layoutFor(blocks: number, level: number): Layout {
  const buckets = Math.ceil(blocks / 2 ** level);
  // Whole buckets, and whole vectors: level 3's last vector may hold a bucket past the end,
  // so the outputs have room for one more.
  const padded = Math.ceil((buckets * 2 ** level) / 16) * 16;
  const width = countBytesFor(level);
  const mapAt = TABLES_BYTES;
  const maxAt = mapAt + padded;
  const changedAt = Math.ceil((maxAt + buckets + 1) / 4) * 4;
  return { buckets, width, mapAt, padded, maxAt, changedAt, end: changedAt + (buckets + 1) * width };
}

/** mapLevelAnswer(map, shift), through WebAssembly where it can be (`wasm`: tests pass null). */
export function mapLevelAnswerFast(map: Uint8Array, shift: number, wasm: LevelExports | null = levelsWasm()): MapLevelAnswer {
  const level = Math.max(1, Math.min(shift, levelCountFor(map.length) - 1));
  if (!wasm || level < 3) return mapLevelAnswer(map, shift);
  const layout = layoutFor(map.length, level);
  const { memory } = wasm;
  if (memory.buffer.byteLength < layout.end) {
    // More than the module's memory can hold (4 GiB), or no memory to give: the JavaScript pass.
    try {
      memory.grow(Math.ceil((layout.end - memory.buffer.byteLength) / PAGE));
    } catch {
      return mapLevelAnswer(map, shift);
    }
  }
  try {
    return pass(wasm, map, level, layout);
  } finally {
    releaseIfLarge(wasm);
  }
}

function pass(wasm: LevelExports, map: Uint8Array, level: number, { buckets, width, mapAt, padded, maxAt, changedAt, end }: Layout): MapLevelAnswer {
  const n = map.length;
  const bytes = new Uint8Array(wasm.memory.buffer);
  bytes.fill(0, 0, TABLES_BYTES);
  bytes.set(map, mapAt);
  bytes.fill(0, mapAt + n, end);
  if (level === 3) wasm.level3(mapAt, mapAt + padded, maxAt, changedAt, 0);
  else wasm.levelWide(mapAt, mapAt + padded, level, maxAt, changedAt, width, 0);

  const tables = new Uint32Array(wasm.memory.buffer, 0, 1024);
  const histogram = new Uint32Array(256);
  let nonZero = 0;
  for (let v = 1; v < 256; v++) {
    histogram[v] = tables[v]! + tables[256 + v]! + tables[512 + v]! + tables[768 + v]!;
    nonZero += histogram[v]!;
  }
  histogram[0] = n - nonZero;
  // WebAssembly stores little-endian, as the wire carries counts (countsToBytes).
  return {
    blockCount: n, shift: level, max: bytes.slice(maxAt, maxAt + buckets), changed: bytes.slice(changedAt, changedAt + buckets * width),
    histogram: Array.from(histogram), lastBlockValue: n > 0 ? map[n - 1]! : 0,
  };
}
