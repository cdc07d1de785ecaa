import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { levelCountFor, mapLevelAnswer } from '../../../shared/cbtLevels';
import { seededRandom } from '../../../shared/random';
import { levelsWasm, mapLevelAnswerFast, RETAINED_MEMORY_BYTES, type LevelExports } from '../../../electron/service/levels/levels';
import { generated, OUT } from '../../../build/wat.mjs';

type Answer = ReturnType<typeof mapLevelAnswer>;

/** Where two answers first differ ('max[12]: 7 ≠ 9'), null when they are the same; cheap on 2M-entry arrays, unlike a deep diff. */
function difference(got: Answer, want: Answer): string | null {
  for (const key of ['blockCount', 'shift', 'lastBlockValue'] as const) {
    if (got[key] !== want[key]) return `${key}: ${got[key]} ≠ ${want[key]}`;
  }
  for (const key of ['max', 'changed', 'histogram'] as const) {
    const a = got[key];
    const b = want[key];
    if (a.length !== b.length) return `${key}.length: ${a.length} ≠ ${b.length}`;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `${key}[${i}]: ${a[i]} ≠ ${b[i]}`;
  }
  return null;
}

/** Maps of the kinds a CBT map has: random values, mostly zeros, runs of one value, all one value. */
function maps(random: () => number): { name: string; map: Uint8Array }[] {
  const out: { name: string; map: Uint8Array }[] = [];
  for (const n of [0, 1, 7, 15, 16, 17, 31, 33, 255, 4096, 4099, 65_537]) {
    out.push({ name: `random ${n}`, map: Uint8Array.from({ length: n }, () => Math.floor(random() * 256)) });
    out.push({ name: `sparse ${n}`, map: Uint8Array.from({ length: n }, () => (random() < 0.9 ? 0 : 1 + Math.floor(random() * 255))) });
    const runs = new Uint8Array(n);
    for (let at = 0; at < n;) {
      const run = 1 + Math.floor(random() * 300);
      runs.fill(random() < 0.5 ? 0 : 1 + Math.floor(random() * 255), at, at + run);
      at += run;
    }
    out.push({ name: `runs ${n}`, map: runs });
    out.push({ name: `all 255 ${n}`, map: new Uint8Array(n).fill(255) });
  }
  return out;
}

describe('the service level pass in WebAssembly', () => {
  it('loads here (Node has WebAssembly SIMD)', () => {
    expect(levelsWasm()).not.toBeNull();
  });

  it('answers exactly as the JavaScript pass, at every level of every kind of map', () => {
    const random = seededRandom(2026);
    let compared = 0;
    for (const { name, map } of maps(random)) {
      for (let shift = 1; shift <= Math.max(1, levelCountFor(map.length) - 1) + 2; shift++) {
        const expected = mapLevelAnswer(map, shift);
        expect(difference(mapLevelAnswerFast(map, shift), expected), `${name}, shift ${shift}`).toBeNull();
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });

  it('answers a 2,097,152-block map with counts of every width (u8, u16, u32)', () => {
    const random = seededRandom(7);
    const map = Uint8Array.from({ length: 2_097_152 }, () => (random() < 0.3 ? 0 : Math.floor(random() * 256)));
    for (const shift of [3, 7, 8, 15, 16, 21]) {
      expect(difference(mapLevelAnswerFast(map, shift), mapLevelAnswer(map, shift)), `shift ${shift}`).toBeNull();
    }
  });

  it('reuses its memory: a smaller map after a larger one leaves nothing of the larger behind', () => {
    const big = new Uint8Array(100_000).fill(9);
    const small = new Uint8Array(1000);
    small[500] = 3;
    mapLevelAnswerFast(big, 4);
    const answer = mapLevelAnswerFast(small, 4);
    expect(difference(answer, mapLevelAnswer(small, 4))).toBeNull();
    expect(answer.histogram[9]).toBe(0);
  });

  it('lets go of a memory grown past RETAINED_MEMORY_BYTES after the pass: a long-running service does not keep its largest map', () => {
    const huge = new Uint8Array(RETAINED_MEMORY_BYTES);
    huge[huge.length - 1] = 5;
    const used = levelsWasm();
    const answer = mapLevelAnswerFast(huge, 3);
    expect(answer.histogram[5]).toBe(1);
    expect(used?.memory.buffer.byteLength).toBeGreaterThan(RETAINED_MEMORY_BYTES);
    const next = levelsWasm();
    expect(next).not.toBe(used);
    expect(next?.memory.buffer.byteLength).toBeLessThan(2 ** 20);
    const small = Uint8Array.from({ length: 5000 }, (_, i) => i % 13);
    expect(difference(mapLevelAnswerFast(small, 4), mapLevelAnswer(small, 4))).toBeNull();
    expect(levelsWasm()).toBe(next);
  });

  it('takes the JavaScript pass when its memory cannot grow to the map (over 4 GiB, or no memory left)', () => {
    const refusing = {
      memory: { buffer: new ArrayBuffer(65_536), grow: () => { throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'); } },
      level3: () => { throw new Error('level3 ran without room for the map'); },
      levelWide: () => { throw new Error('levelWide ran without room for the map'); },
    } as unknown as LevelExports;
    const map = Uint8Array.from({ length: 100_000 }, (_, i) => i % 11);
    expect(difference(mapLevelAnswerFast(map, 5, refusing), mapLevelAnswer(map, 5))).toBeNull();
  });

  it('takes the JavaScript pass where WebAssembly cannot be loaded', () => {
    const map = Uint8Array.from({ length: 1000 }, (_, i) => i % 7);
    expect(difference(mapLevelAnswerFast(map, 4, null), mapLevelAnswer(map, 4))).toBeNull();
  });

  it('where WebAssembly (or its SIMD) is missing, tries to compile once, not at every pass', async () => {
    vi.resetModules();
    const compile = vi.spyOn(WebAssembly, 'Module').mockImplementation(function refuse() {
      throw new WebAssembly.CompileError('WebAssembly.Module(): invalid simd opcode');
    });
    try {
      const fresh = await import('../../../electron/service/levels/levels');
      const map = Uint8Array.from({ length: 5000 }, (_, i) => i % 13);
      for (let i = 0; i < 3; i++) {
        expect(fresh.levelsWasm()).toBeNull();
        expect(difference(fresh.mapLevelAnswerFast(map, 4), mapLevelAnswer(map, 4))).toBeNull();
      }
      expect(compile).toHaveBeenCalledTimes(1);
    } finally {
      compile.mockRestore();
      vi.resetModules();
    }
  });

  it('carries the bytes of levels.wat as it is now (run `node build/wat.mjs` after changing it)', async () => {
    expect(readFileSync(OUT, 'utf8')).toBe(await generated());
    expect(OUT).toBe(join(import.meta.dirname, '../../../electron/service/levels/bytes.ts'));
  });
});
