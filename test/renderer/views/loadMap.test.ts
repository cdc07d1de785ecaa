import { describe, expect, it, vi } from 'vitest';
import { mapLevelAnswer } from '../../../shared/cbtLevels';
import type { ApiResult } from '../../../shared/contract';
import { afterNextPaint, loadMap, type LoadedMap } from '../../../renderer/views/devices/loadMap';

/** An API whose answers the test releases one at a time, recording the calls in order. */
function stubApi(map: Uint8Array) {
  const calls: string[] = [];
  const release: (() => void)[] = [];
  const later = <T,>(value: () => T) => new Promise<T>((resolve) => release.push(() => resolve(value())));
  return {
    calls, release,
    api: {
      cbtMap: ({ device }: { device: string }) => { calls.push(`cbtMap ${device}`); return later(() => map.slice()); },
      cbtMapLevel: ({ device, shift }: { device: string; shift: number }) => {
        calls.push(`cbtMapLevel ${device} ${shift}`);
        return later<ApiResult<'cbtMapLevel'>>(() => mapLevelAnswer(map, shift));
      },
    },
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A paint the test lets happen: loadMap waits for it before asking for the map. */
function paintGate() {
  let paint = () => undefined as void;
  let waits = 0;
  return {
    wait: () => { waits++; return new Promise<void>((resolve) => { paint = resolve; }); },
    paint: () => paint(),
    get waits() { return waits; },
  };
}

describe('loadMap', () => {
  const map = Uint8Array.from({ length: 1 << 16 }, (_, i) => (i % 7 === 0 ? 3 : 0));

  it('shows the level on screen first, then attaches the map to the same pyramid', async () => {
    const stub = stubApi(map);
    const seen: LoadedMap[] = [];
    const gate = paintGate();
    loadMap(stub.api, '/dev/a', 4, (l) => seen.push(l), (e) => { throw e; }, gate.wait);
    expect(stub.calls).toEqual(['cbtMapLevel /dev/a 4']);
    stub.release.shift()!();
    await flush();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map).toBeNull();
    expect(seen[0]!.pyramid.has(4)).toBe(true);
    // The map itself is asked for only once the level's pixels are painted.
    expect(gate.waits).toBe(1);
    expect(stub.calls).toEqual(['cbtMapLevel /dev/a 4']);
    gate.paint();
    await flush();
    expect(stub.calls).toEqual(['cbtMapLevel /dev/a 4', 'cbtMap /dev/a']);
    stub.release.shift()!();
    await flush();
    expect(seen).toHaveLength(2);
    expect(seen[1]!.pyramid).toBe(seen[0]!.pyramid);
    expect(seen[1]!.map).toEqual(map);
    expect(seen[1]!.pyramid.has(0)).toBe(true);
  });

  it('asks for the map at once when the heatmap draws fine levels', async () => {
    const stub = stubApi(map);
    const seen: LoadedMap[] = [];
    const gate = paintGate();
    loadMap(stub.api, '/dev/a', 2, (l) => seen.push(l), (e) => { throw e; }, gate.wait);
    expect(stub.calls).toEqual(['cbtMap /dev/a']);
    expect(gate.waits).toBe(0);
    stub.release.shift()!();
    await flush();
    expect(seen.map((l) => l.map?.length)).toEqual([map.length]);
  });

  it('reports nothing once cancelled, and errors as errors', async () => {
    const stub = stubApi(map);
    const seen: LoadedMap[] = [];
    const cancel = loadMap(stub.api, '/dev/a', 5, (l) => seen.push(l), () => seen.push(null as never));
    cancel();
    stub.release.shift()!();
    await flush();
    expect(seen).toEqual([]);
    expect(stub.calls).toEqual(['cbtMapLevel /dev/a 5']);

    // Cancelled while the level's pixels are being painted: the map is never asked for.
    const gate = paintGate();
    const stub2 = stubApi(map);
    const cancel2 = loadMap(stub2.api, '/dev/c', 5, (l) => seen.push(l), () => undefined, gate.wait);
    stub2.release.shift()!();
    await flush();
    expect(seen).toHaveLength(1);
    cancel2();
    gate.paint();
    await flush();
    expect(stub2.calls).toEqual(['cbtMapLevel /dev/c 5']);
    expect(seen).toHaveLength(1);

    const errors: unknown[] = [];
    const failing = { ...stub.api, cbtMapLevel: () => Promise.reject(new Error('ENOENT')) };
    loadMap(failing, '/dev/b', 5, () => undefined, (e) => errors.push(e));
    await flush();
    expect(String(errors[0])).toContain('ENOENT');
  });

  it('waits for an animation frame and a task after it, or for the fallback timer where no frame comes', async () => {
    vi.useFakeTimers();
    try {
      const frames: FrameRequestCallback[] = [];
      vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => frames.push(cb));
      let done = false;
      void afterNextPaint(100).then(() => { done = true; });
      await vi.advanceTimersByTimeAsync(50);
      expect(done).toBe(false);
      expect(frames).toHaveLength(1);
      frames[0]!(0);
      for (let i = 0; i < 5; i++) await Promise.resolve();
      expect(done).toBe(false); // the frame is not painted yet while its callbacks run
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toBe(true);

      // A hidden page: no frame ever comes, the timer lets the map come anyway.
      done = false;
      void afterNextPaint(100).then(() => { done = true; });
      await vi.advanceTimersByTimeAsync(99);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
    } finally {
      vi.unstubAllGlobals();
      vi.useRealTimers();
    }
  });
});
