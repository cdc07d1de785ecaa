// A device page's CBT map: loaded when the page opens and again when the map's generation or
// change number moves, and at once when the user asks (reload). The level the heatmap draws
// renders in the task that brings it (flushSync), not a scheduler hop later: those are the
// pixels a user waits for after "Reload map".
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { flushSync } from 'react-dom';
import type { BlksnapApi } from '../../../shared/contract';
import { errorMessage } from '../../app/errors';
import { fitLevel } from '../../heatmap/view';
import { HEATMAP_MAX_HEIGHT_PX } from './HeatmapCanvas';
import { loadMap, type LoadedMap } from './loadMap';

export interface MapSource {
  path: string;
  blockCount: number;
  generationId: string;
  changesNumber: number;
  /** False while the dialect hands out no map (v1 before a take): nothing is asked for. */
  readable: boolean;
}

export interface LoadedMapState {
  /** The last map that came: after a new take, the previous take's until the new one comes (the heatmap keeps drawing it). */
  loaded: LoadedMap | null;
  /** Whether `loaded` is the map of the generation and change number the device has now: what it says of changed blocks holds only then. */
  current: boolean;
  error: string | null;
  /** Asks for the map again now (the request leaves in the caller's event, before any render). */
  reload: () => void;
  /** The element the heatmap fills: its width says which level to ask for first. */
  areaRef: RefObject<HTMLDivElement | null>;
}

export function useLoadedMap(api: Pick<BlksnapApi, 'cbtMap' | 'cbtMapLevel'>, source: MapSource): LoadedMapState {
  const { path, blockCount, generationId, changesNumber, readable } = source;
  // The map with what it is the map of (path, generation, change number), set together.
  const [held, setHeld] = useState<{ map: LoadedMap; key: string } | null>(null);
  const key = `${path}:${generationId}:${changesNumber}`;
  const [error, setError] = useState<string | null>(null);
  const areaRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<(() => void) | null>(null);
  /** False once the page has gone: a late reload (a mark-dirty answer after the user left) asks nothing. */
  const mountedRef = useRef(false);
  useEffect(() => {
    mountedRef.current = true;
    return () => {
      mountedRef.current = false;
    };
  }, []);

  const start = useCallback(() => {
    cancelRef.current?.();
    const widthPx = areaRef.current?.clientWidth || 960;
    cancelRef.current = loadMap(api, path, fitLevel(blockCount, widthPx, HEATMAP_MAX_HEIGHT_PX), (next) => {
      const apply = () => {
        setHeld({ map: next, key });
        setError(null);
      };
      if (next.map === null) flushSync(apply);
      else apply();
    }, (err) => setError(errorMessage(err)));
  }, [api, path, blockCount, key]);

  useEffect(() => {
    if (!readable) return;
    start();
    return () => {
      cancelRef.current?.();
      cancelRef.current = null;
    };
  }, [start, readable]);

  const reload = useCallback(() => {
    if (readable && mountedRef.current) start();
  }, [start, readable]);
  return { loaded: held?.map ?? null, current: held?.key === key, error, reload, areaRef };
}
