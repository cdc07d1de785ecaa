// Sizes: one place for sector/byte parsing and formatting (main, renderer and CLI).

export const SECTOR_SIZE = 512;

export function sectorsToBytes(sectors: number): number {
  return sectors * SECTOR_SIZE;
}

/** Bytes to whole sectors; throws on a size that is not a multiple of 512. */
export function bytesToSectors(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`size ${bytes} is not a non-negative whole number of bytes`);
  if (bytes % SECTOR_SIZE !== 0) throw new RangeError(`size ${bytes} bytes is not a multiple of the 512-byte sector`);
  return bytes / SECTOR_SIZE;
}

const SUFFIX: Record<string, number> = {
  '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50,
  KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40, PIB: 2 ** 50,
  KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40, B: 1,
};

/**
 * Parses a human size: "4096", "100M", "1.5G", "2 GiB", "512K". Binary multiples.
 * Returns bytes, or an error message naming what was wrong.
 */
export function parseSize(text: string): { ok: true; bytes: number } | { ok: false; error: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return { ok: false, error: `"${text}" is not a size (examples: 4096, 512K, 100M, 2G)` };
  const unit = (m[2] ?? '').toUpperCase();
  const mult = SUFFIX[unit];
  if (mult === undefined) return { ok: false, error: `"${m[2]}" is not a size unit (use K, M, G or T)` };
  const bytes = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(bytes)) return { ok: false, error: `"${text}" is too large` };
  return { ok: true, bytes };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 → "1.5 KiB"; exact powers print without decimals. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || Number.isInteger(value) ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${bytes < 0 ? '-' : ''}${value.toFixed(digits)} ${UNITS[unit]}`;
}

/**
 * An integer as en-US writes it (1,234,567), without Intl: a page's first toLocaleString loads
 * ICU's locale data (30–90 ms of the first render here), which the device list, the first view
 * painted, does without (test/bench/cold-start.ts). Anything but a safe integer goes to Intl.
 */
export function groupDigits(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = Math.abs(n).toString().replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 || Object.is(n, -0) ? `-${digits}` : digits;
}

export function formatSectors(sectors: number): string {
  return `${groupDigits(sectors)} sectors`;
}

/** A duration for people: "50 s", "4 min 50 s", "3 h 5 min", "3 days". The snapshot card and the service's fill warning say it alike. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  // Rounded once, to the unit the text ends in, then split: 119.6 s is '2 min 0 s', not '1 min 60 s'.
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const minutes = Math.round(s / 60);
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.round(hours / 24)} days`;
}
