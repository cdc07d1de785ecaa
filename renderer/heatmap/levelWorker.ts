// Worker: builds pyramid levels off the page's main thread (a pass over a 2M-block map takes tens
// of ms there) and hands their buffers back without copying. Message: { id, map, shifts };
// answer: { id, levels } (shared/cbtLevels.ts levelsFromMap).
import { levelsFromMap } from '../../shared/cbtLevels';

interface Job { id: number; map: Uint8Array; shifts: number[] }

self.onmessage = (event: MessageEvent<Job>) => {
  const { id, map, shifts } = event.data;
  const levels = levelsFromMap(map, shifts);
  const transfer = levels.flatMap((l) => [l.max.buffer, ...(l.changed ? [l.changed.buffer] : [])]);
  self.postMessage({ id, levels }, { transfer });
};
