// @vitest-environment jsdom
// The device page's map loader (renderer/views/devices/useLoadedMap.ts): loads at mount, again
// at once on reload, and asks the service nothing once the page has gone (a mark-dirty call that
// answers after the user left calls reload: that must not read a 2 MiB map for no page).
import { cleanup, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mapLevelAnswer } from '../../../shared/cbtLevels';
import { useLoadedMap, type MapSource } from '../../../renderer/views/devices/useLoadedMap';

afterEach(cleanup);

const SOURCE: MapSource = { path: '/dev/emu0', blockCount: 64, generationId: 'g', changesNumber: 1, readable: true };

function fakeApi() {
  return {
    cbtMap: vi.fn(async () => new Uint8Array(64)),
    cbtMapLevel: vi.fn(async () => { throw new Error('a 64-block map is asked for whole'); }),
  };
}

describe('useLoadedMap', () => {
  it('reads the map at mount and again at once on reload', () => {
    const api = fakeApi();
    const { result } = renderHook(() => useLoadedMap(api, SOURCE));
    expect(api.cbtMap).toHaveBeenCalledTimes(1);
    result.current.reload();
    expect(api.cbtMap).toHaveBeenCalledTimes(2);
  });

  it('asks for nothing once unmounted, even when reload is called then', () => {
    const api = fakeApi();
    const { result, unmount } = renderHook(() => useLoadedMap(api, SOURCE));
    const { reload } = result.current;
    unmount();
    reload();
    expect(api.cbtMap).toHaveBeenCalledTimes(1);
    expect(api.cbtMapLevel).not.toHaveBeenCalled();
  });

  it('asks for nothing while the map is not readable (v1 before a take)', () => {
    const api = fakeApi();
    const { result } = renderHook(() => useLoadedMap(api, { ...SOURCE, readable: false }));
    result.current.reload();
    expect(api.cbtMap).not.toHaveBeenCalled();
  });

  it('renders the level in the task that brings it, not a scheduler task later (the pixels after "Reload map")', async () => {
    const blocks = 2_097_152;
    let answer: (() => void) | null = null;
    const api = {
      cbtMap: vi.fn(async () => new Uint8Array(blocks)),
      cbtMapLevel: vi.fn(({ shift }: { device: string; shift: number }) => new Promise<ReturnType<typeof mapLevelAnswer>>((resolve) => {
        answer = () => resolve(mapLevelAnswer(new Uint8Array(blocks), shift));
      })),
    };
    const { result } = renderHook(() => useLoadedMap(api, { ...SOURCE, blockCount: blocks }));
    expect(api.cbtMapLevel).toHaveBeenCalledTimes(1);
    expect(result.current.loaded).toBeNull();
    answer!();
    // Only microtasks run here (no act, no timer): a render React scheduled would not have run yet.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(result.current.loaded?.map).toBeNull();
    expect(result.current.loaded?.pyramid.blockCount).toBe(blocks);
  });
});
