import { describe, expect, it } from 'vitest';
import { mapLevelAnswer } from '../../../shared/cbtLevels';
import type { ApiResult } from '../../../shared/contract';
import { loadMap, type LoadedMap } from '../../../renderer/views/devices/loadMap';

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

describe('loadMap', () => {
  const map = Uint8Array.from({ length: 1 << 16 }, (_, i) => (i % 7 === 0 ? 3 : 0));

  it('shows the level on screen first, then attaches the map to the same pyramid', async () => {
    const stub = stubApi(map);
    const seen: LoadedMap[] = [];
    loadMap(stub.api, '/dev/a', 4, (l) => seen.push(l), (e) => { throw e; });
    expect(stub.calls).toEqual(['cbtMapLevel /dev/a 4']);
    stub.release.shift()!();
    await flush();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map).toBeNull();
    expect(seen[0]!.pyramid.has(4)).toBe(true);
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
    loadMap(stub.api, '/dev/a', 2, (l) => seen.push(l), (e) => { throw e; });
    expect(stub.calls).toEqual(['cbtMap /dev/a']);
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

    const errors: unknown[] = [];
    const failing = { ...stub.api, cbtMapLevel: () => Promise.reject(new Error('ENOENT')) };
    loadMap(failing, '/dev/b', 5, () => undefined, (e) => errors.push(e));
    await flush();
    expect(String(errors[0])).toContain('ENOENT');
  });
});
