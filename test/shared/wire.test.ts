import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../shared/wire';

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
