// Colours of the CBT heatmap as 32-bit RGBA words (little-endian ImageData order: 0xAABBGGRR).
// A lookup table indexed by (share << 8) | changeNumber gives each pixel's colour in one read:
// the hue says how recent the newest change in the pixel is, the intensity how many of the
// pixel's blocks changed.

export const SHARE_STEPS = 16;
export type Rgb = readonly [number, number, number];

export const UNCHANGED: Rgb = [0x23, 0x28, 0x31];
export const OLDER_THAN_N: Rgb = [0x5d, 0x64, 0x73];
export const NEWER_THAN_N: Rgb = [0xff, 0x8c, 0x2e];
/** Oldest → newest change number. */
export const RAMP: readonly Rgb[] = [
  [0x2f, 0x6d, 0xc4],
  [0x2e, 0xa8, 0xa4],
  [0x9c, 0xcf, 0x4a],
  [0xf2, 0xd1, 0x3c],
  [0xf0, 0x5d, 0x3a],
];

export function packRgba([r, g, b]: Rgb, alpha = 255): number {
  return ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

export function rampColour(t: number): Rgb {
  const clamped = Math.min(1, Math.max(0, t));
  const pos = clamped * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** Colour of change number v on a scale from lo (oldest present) to hi (newest present). */
export function changeColour(v: number, lo: number, hi: number): Rgb {
  if (v === 0) return UNCHANGED;
  return rampColour(hi <= lo ? 1 : (v - lo) / (hi - lo));
}

function mix(base: Rgb, top: Rgb, amount: number): Rgb {
  return [
    Math.round(base[0] + (top[0] - base[0]) * amount),
    Math.round(base[1] + (top[1] - base[1]) * amount),
    Math.round(base[2] + (top[2] - base[2]) * amount),
  ];
}

/** Intensity for a share step (1..15): a pixel with one changed block out of many stays visible. */
export function shareIntensity(share: number): number {
  return 0.4 + 0.6 * (share / (SHARE_STEPS - 1));
}

export type HeatmapMode = { kind: 'recency'; lo: number; hi: number } | { kind: 'since'; sinceChangeNumber: number };

/** The 16 × 256 lookup table for a mode. */
export function buildLut(mode: HeatmapMode): Uint32Array {
  const lut = new Uint32Array(SHARE_STEPS * 256);
  const unchanged = packRgba(UNCHANGED);
  for (let share = 0; share < SHARE_STEPS; share++) {
    lut[share << 8] = unchanged;
    for (let v = 1; v < 256; v++) {
      let colour: Rgb;
      if (mode.kind === 'recency') colour = changeColour(v, mode.lo, mode.hi);
      else colour = v > mode.sinceChangeNumber ? NEWER_THAN_N : OLDER_THAN_N;
      lut[(share << 8) | v] = share === 0 ? unchanged : packRgba(mix(UNCHANGED, colour, shareIntensity(share)));
    }
  }
  return lut;
}

export function rgbCss([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}
