// Loading a device's CBT map for the heatmap: first the level the heatmap draws, reduced by the
// service (a fraction of the map's bytes: a dense 2M-block map is 2 MiB that no run-length code
// shrinks), then the map itself for tooltips, selection and finer zoom levels.
import type { ApiResult, BlksnapApi } from '../../../shared/contract';
import { countsFromBytes } from '../../../shared/cbtLevels';
import { CbtPyramid } from '../../heatmap/pyramid';

/** Below this level a level is an eighth of the map or more: the map itself comes at once. */
export const MIN_FIRST_LEVEL = 3;

export interface LoadedMap {
  pyramid: CbtPyramid;
  /** null while only the level on screen has arrived. */
  map: Uint8Array | null;
}

/** A pyramid from the service's cbtMapLevel answer; throws when the answer does not add up. */
export function pyramidFromLevel(answer: ApiResult<'cbtMapLevel'>): CbtPyramid {
  const length = answer.max.length;
  const changed = countsFromBytes(answer.changed, answer.shift, length);
  return CbtPyramid.fromLevel(answer.blockCount, { shift: answer.shift, max: answer.max, changed }, Uint32Array.from(answer.histogram), answer.lastBlockValue);
}

/**
 * Resolves once the page has painted the frame after now (an animation frame, then a task after
 * its paint); after `fallbackMs` at the latest, since a hidden page gets no animation frames.
 */
export function afterNextPaint(fallbackMs = 100): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, fallbackMs);
    if (typeof requestAnimationFrame !== 'function') return;
    requestAnimationFrame(() => {
      clearTimeout(timer);
      setTimeout(resolve, 0);
    });
  });
}

/**
 * Loads the map of `device` for a heatmap that draws level `drawLevel`: `onLoad` gets a pyramid
 * holding that level as soon as it comes (when the level is coarse enough to be worth it), then
 * again with the map attached. The map itself is asked for once the level's pixels are painted
 * (`afterPaint`): its 2 MiB (service encode, socket, tens of ms of the page's main thread to
 * receive) would otherwise compete with the first pixels for the same cores. Returns a cancel
 * function; nothing is reported, and no map asked for, after it.
 */
export function loadMap(
  api: Pick<BlksnapApi, 'cbtMap' | 'cbtMapLevel'>, device: string, drawLevel: number,
  onLoad: (loaded: LoadedMap) => void, onError: (err: unknown) => void,
  afterPaint: () => Promise<void> = afterNextPaint,
): () => void {
  let cancelled = false;
  const whole = async (first: CbtPyramid | null) => {
    const map = await api.cbtMap({ device });
    if (cancelled) return;
    if (first && map.length === first.blockCount) {
      first.attachMap(map);
      onLoad({ pyramid: first, map });
    } else {
      onLoad({ pyramid: CbtPyramid.fromMap(map), map });
    }
  };
  const run = async () => {
    if (drawLevel < MIN_FIRST_LEVEL) return whole(null);
    const first = pyramidFromLevel(await api.cbtMapLevel({ device, shift: drawLevel }));
    if (cancelled) return;
    onLoad({ pyramid: first, map: null });
    await afterPaint();
    if (cancelled) return;
    return whole(first);
  };
  run().catch((err: unknown) => {
    if (!cancelled) onError(err);
  });
  return () => {
    cancelled = true;
  };
}
