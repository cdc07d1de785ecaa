// Every backend's module calls fail in the words of one table per call and errno (issue 19, item
// 12; the tables: meaningTables.ts). The service wraps its backend here at start; the tables, made
// from the kernel clients' own, load at a call's first failure, so the emulator does not load the
// kernel clients to answer calls that succeed.
import type { BlksnapControl } from './types';

/** The calls of BlksnapControl that reach the module. */
export type ControlCall =
  | 'version' | 'attach' | 'detach' | 'cbtInfo' | 'cbtMap' | 'cbtDirty' | 'snapshotCreate' | 'snapshotAdd' | 'snapshotTake'
  | 'snapshotDestroy' | 'snapshotCollect' | 'snapshotInfo' | 'waitEvent' | 'appendStorage';

/** Every ControlCall: a Record, so the compiler says when one is missing. */
const CALL_NAMES: Record<ControlCall, true> = {
  version: true, attach: true, detach: true, cbtInfo: true, cbtMap: true, cbtDirty: true, snapshotCreate: true, snapshotAdd: true,
  snapshotTake: true, snapshotDestroy: true, snapshotCollect: true, snapshotInfo: true, waitEvent: true, appendStorage: true,
};
const CALLS: ReadonlySet<string> = new Set(Object.keys(CALL_NAMES));

/** `control` whose module calls fail in the table's words (the emulator's and the module's alike). */
export function withModuleMeanings<C extends BlksnapControl>(control: C): C {
  return new Proxy(control, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = (value as (...a: unknown[]) => unknown).bind(target);
      if (typeof prop !== 'string' || !CALLS.has(prop)) return fn;
      return async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          const { inTableWords } = await import('./meaningTables');
          throw inTableWords(target.info.dialect, prop as ControlCall, err);
        }
      };
    },
  });
}
