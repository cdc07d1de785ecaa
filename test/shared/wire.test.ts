import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, rleDecode, rleEncode } from '../../shared/wire';

describe('wire frames', () => {
  it('sends messages without bytes as JSON text', () => {
    const frame = encodeFrame({ t: 'call', id: 1, method: 'attach', args: { device: '/dev/vda' } });
    expect(typeof frame).toBe('string');
    expect(decodeFrame(frame)).toEqual({ t: 'call', id: 1, method: 'attach', args: { device: '/dev/vda' } });
  });

  it('sends bytes as one binary frame and gets the same bytes back', () => {
    const map = new Uint8Array(2_097_152).map((_, i) => i % 251);
    const frame = encodeFrame({ t: 'result', id: 2, ok: true, result: map, note: 'ünïcödé ✓' });
    expect(frame).toBeInstanceOf(Uint8Array);
    expect((frame as Uint8Array).byteLength).toBeLessThan(map.byteLength + 200);
    const back = decodeFrame(frame as Uint8Array) as { result: Uint8Array; note: string };
    expect(back.result.byteLength).toBe(map.byteLength);
    expect(Buffer.compare(back.result, map)).toBe(0);
    expect(back.note).toBe('ünïcödé ✓');
  });

  it('keeps several byte arrays in place, nested', () => {
    const a = new Uint8Array([1, 2]);
    const b = new Uint8Array(0);
    const back = decodeFrame(encodeFrame({ x: [a, { y: b }] }) as Uint8Array);
    expect(back).toEqual({ x: [a, { y: b }] });
  });

  it('rejects malformed binary frames', () => {
    expect(() => decodeFrame(new Uint8Array([1, 2, 3]))).toThrow(/BSN1/);
    const header = new TextEncoder().encode('{"m":{"$bin":1},"b":[0]}');
    const frame = new Uint8Array(8 + header.length);
    frame.set([0x42, 0x53, 0x4e, 0x31]);
    new DataView(frame.buffer).setUint32(4, header.length, true);
    frame.set(header, 8);
    expect(() => decodeFrame(frame)).toThrow(/payload/);
  });

  it('never lets a "__proto__" key reach a prototype', () => {
    const frame = encodeFrame({ data: new Uint8Array(1), evil: JSON.parse('{"__proto__":{"polluted":1}}') });
    const back = decodeFrame(frame as Uint8Array) as { evil: Record<string, unknown> };
    expect(Object.getPrototypeOf(back.evil)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('run-length encoding of large payloads', () => {
  it('sends a sparse CBT map as a few bytes and restores it exactly', () => {
    const map = new Uint8Array(2_097_152);
    map.fill(3, 1000, 50_000);
    map[2_097_151] = 7;
    const frame = encodeFrame({ result: map }) as Uint8Array;
    expect(frame.byteLength).toBeLessThan(200);
    const back = (decodeFrame(frame) as { result: Uint8Array }).result;
    expect(Buffer.compare(back, map)).toBe(0);
  });

  it('sends incompressible payloads as they are', () => {
    const noise = new Uint8Array(100_000).map((_, i) => (i * 2654435761) >>> 24);
    const frame = encodeFrame({ result: noise }) as Uint8Array;
    expect(frame.byteLength).toBeGreaterThan(100_000);
    expect(Buffer.compare((decodeFrame(frame) as { result: Uint8Array }).result, noise)).toBe(0);
  });

  it('refuses run-length payloads that claim more than they hold or too much', () => {
    expect(() => decodeFrame(frameWith({ m: { $bin: 0 }, b: [5], r: [10] }, [1, 20, 0, 0, 0]))).toThrow(/longer/);
    expect(() => decodeFrame(frameWith({ m: { $bin: 0 }, b: [5], r: [10] }, [1, 2, 0, 0, 0]))).toThrow(/shorter/);
    expect(() => decodeFrame(frameWith({ m: { $bin: 0 }, b: [5], r: [2 ** 40] }, [1, 0, 0, 0, 1]))).toThrow(/too many/);
    expect(() => decodeFrame(frameWith({ m: { $bin: 0 }, b: [4], r: [4] }, [1, 4, 0, 0]))).toThrow(/whole runs/);
  });

  it('checks a lying header against the limits before allocating anything', () => {
    // One run claiming 200 MiB: decoding it would allocate 200 MiB.
    const bomb = frameWith({ m: { t: 'call', id: 1, method: 'emuWrite', args: { data: { $bin: 0 } } }, b: [5], r: [200 * 2 ** 20] }, [0, 0, 0, 0x80, 0x0c]);
    const rssBefore = process.memoryUsage().arrayBuffers;
    expect(() => decodeFrame(bomb, { maxDecodedBytes: 2 ** 20, allowRunLength: true })).toThrow(/claims 209715200 decoded bytes; at most 1048576/);
    expect(() => decodeFrame(bomb, { maxDecodedBytes: 2 ** 30, allowRunLength: false })).toThrow(/run-length payloads are not accepted/);
    expect(process.memoryUsage().arrayBuffers - rssBefore).toBeLessThan(2 ** 20);
    const seen: number[] = [];
    expect(() => decodeFrame(bomb, (h) => (seen.push(h.decodedBytes), { maxDecodedBytes: 0, allowRunLength: true }))).toThrow(/claims/);
    expect(seen).toEqual([200 * 2 ** 20]);
  });

  it('refuses a run-length payload that does not shrink what it stands for', () => {
    expect(() => decodeFrame(frameWith({ m: { $bin: 0 }, b: [10], r: [2] }, [1, 1, 0, 0, 0, 2, 1, 0, 0, 0]))).toThrow(/does not shrink/);
  });

  it('counts plain payloads against the limit too', () => {
    expect(() => decodeFrame(frameWith({ m: { $bin: 0 }, b: [3] }, [1, 2, 3]), { maxDecodedBytes: 2, allowRunLength: false })).toThrow(/claims 3/);
    expect(decodeFrame(frameWith({ m: { $bin: 0 }, b: [3] }, [1, 2, 3]), { maxDecodedBytes: 3, allowRunLength: false })).toEqual(new Uint8Array([1, 2, 3]));
  });
});

function frameWith(header: object, payload: number[]): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const f = new Uint8Array(8 + h.length + payload.length);
  f.set([0x42, 0x53, 0x4e, 0x31]);
  new DataView(f.buffer).setUint32(4, h.length, true);
  f.set(h, 8);
  f.set(payload, 8 + h.length);
  return f;
}

describe('run-length codec', () => {
  it('round-trips runs of every length at every alignment', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let round = 0; round < 200; round++) {
      const length = 1 + Math.floor(random() * 3000);
      const data = new Uint8Array(length);
      for (let i = 0; i < length; ) {
        const run = 1 + Math.floor(random() * 40);
        data.fill(random() < 0.5 ? 0 : Math.floor(random() * 256), i, i + run);
        i += run;
      }
      const offset = Math.floor(random() * 4);
      const shifted = new Uint8Array(length + offset).subarray(offset);
      shifted.set(data);
      const encoded = rleEncode(shifted, length * 5);
      expect(encoded).not.toBeNull();
      expect(Buffer.compare(rleDecode(encoded!, length), data)).toBe(0);
    }
  });
});
