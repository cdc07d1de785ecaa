// The standalone modules' extras (VAL-7.0, VAL-13): MOD and SETLOG. Not in BlksnapControl; the
// conformance replay sends them.
import { cString, NativeMemory } from '../../native';
import { StructView } from '../../struct';
import type { V2Calls } from './calls';
import { blksnap_mod, blksnap_setlog } from './structs';

/** MOD (VAL-7.0, VAL-13): build name and compatibility flags. */
export function mod(calls: V2Calls): { name: string; compatibilityFlags: number } {
  const mem = new NativeMemory(blksnap_mod.size);
  try {
    calls.ioctl('MOD', calls.controlFd, calls.request('MOD'), mem);
    const v = new StructView(blksnap_mod, mem.read());
    return { name: v.text('name'), compatibilityFlags: Number(v.u64('compatibility_flags')) };
  } finally {
    mem.free();
  }
}

/** SETLOG (VAL-7.0, VAL-13): level < 0 or path null turns the private log off. */
export function setLog(calls: V2Calls, level: number, filePath: string | null, tzMinutesWest = 0): void {
  const mem = new NativeMemory(blksnap_setlog.size);
  const pathMem = filePath === null ? null : new NativeMemory(Buffer.byteLength(filePath) + 1);
  try {
    const v = new StructView(blksnap_setlog).setS32('tz_minuteswest', tzMinutesWest).setS32('level', level);
    if (pathMem && filePath !== null) {
      pathMem.write(cString(filePath));
      v.setU32('filepath_size', pathMem.size).setU64('filepath', pathMem.address);
    }
    mem.write(v.buf);
    calls.ioctl('SETLOG', calls.controlFd, calls.request('SETLOG'), mem, { level, filePath });
  } finally {
    pathMem?.free();
    mem.free();
  }
}
