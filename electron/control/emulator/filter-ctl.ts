// BLKFILTER_CTL as the module checks it before a command runs (spec §2 CTL row, §4, §5.2, §10):
// the device, its filter, the filter's name, the command number, optlen, then the command. The
// module interface always sends "blksnap" and each command's own size; a raw client (a probe, a
// conformance replay) may send anything, and gets what the module answers in that dialect.
import { appError, errnoError } from '../../../shared/errors';
import type { CbtInfo, SectorRange, SnapshotDeviceInfo } from '../../../shared/schemas';
import type { CbtMap } from './cbt-map';
import type { EmulatorCore } from './core';
import { addDevice } from './snapshot-create';
import { cbtInfoOf, checkFilterName, FILTER_NAME, markDirty, readCbtMap, sameFilterName, snapshotInfoOf } from './tracker';

/** The blksnap filter's CTL commands and the least optlen each accepts (spec §1). */
export const CTL_COMMANDS = [
  { name: 'CBTINFO', cmd: 0, minOptlen: 40 },
  { name: 'CBTMAP', cmd: 1, minOptlen: 16 },
  { name: 'CBTDIRTY', cmd: 2, minOptlen: 16 },
  { name: 'SNAPSHOTADD', cmd: 3, minOptlen: 16 },
  { name: 'SNAPSHOTINFO', cmd: 4, minOptlen: 36 },
] as const;

export interface CtlRequest {
  /** The 32-byte name field; the module interface sends "blksnap". */
  filterName: string;
  cmd: number;
  /** What the client says `opt` holds (input only: the module never writes it back). */
  optlen: number;
  /** The payload `opt` points to, as the command reads it; a field the command needs and lacks is an unreadable payload (ENODATA). */
  opt?: { offsetBlocks?: number; lengthBlocks?: number; ranges?: SectorRange[]; snapshotId?: string };
}

/** CBTINFO and SNAPSHOTINFO answer their struct, CBTMAP the map's bytes, the others nothing. */
export type CtlResult = CbtInfo | SnapshotDeviceInfo | Uint8Array | null;

/**
 * The tracker a CTL reaches: ENOENT without a filter; a name other than the attached filter's:
 * EINVAL or ENOENT by dialect (FlavourRules.foreignFilterCtl). Neither changes anything.
 */
export function ctlTarget(core: EmulatorCore, op: string, devicePath: string, filterName: string): CbtMap {
  const dev = core.filterDevice(op, devicePath);
  if (!dev.tracker) throw errnoError('ENOENT', op, `${devicePath} has no filter attached (no "${filterName}", no "${FILTER_NAME}")`, { device: devicePath, filterName });
  if (!sameFilterName(filterName)) {
    const code = core.rules.foreignFilterCtl;
    throw errnoError(code, op, `${devicePath} has the "${FILTER_NAME}" filter, not "${filterName}"; ${code === 'EINVAL' ? 'the block layer refuses another filter\'s name' : 'the module finds no filter of that name on it'}; nothing changed`, { device: devicePath, filterName });
  }
  return dev.tracker;
}

export function rawCtl(core: EmulatorCore, devicePath: string, request: CtlRequest): CtlResult {
  const { filterName, cmd, optlen } = request;
  if (core.flavour === 'v1') {
    throw appError('EUNSUPPORTED', `v1 has no BLKFILTER_CTL (it addresses devices by dev_t with its own ioctls): nothing was sent for ${devicePath}`, { dialect: 'v1', device: devicePath });
  }
  checkFilterName(filterName);
  if (!isU32(cmd) || !isU32(optlen)) throw appError('EBADARG', `cmd ${cmd} and optlen ${optlen} must be unsigned 32-bit numbers`, { device: devicePath });
  const command = CTL_COMMANDS.find((c) => c.cmd === cmd);
  const op = command?.name ?? 'CTL';
  const map = ctlTarget(core, op, devicePath, filterName);
  const details = { device: devicePath, cmd, optlen };
  if (!command) throw errnoError('ENOTTY', op, `the blksnap filter knows no command ${cmd} (${CTL_COMMANDS.map((c) => `${c.name} ${c.cmd}`).join(', ')})`, details);
  // The module's ctl_cbtmap looks at the map before optlen.
  if (command.name === 'CBTMAP' && map.corrupted) throw errnoError('EFAULT', op, `the CBT map of ${devicePath} is corrupted (a write past its end); the next take resets it`, details);
  if (optlen < command.minOptlen) throw errnoError('EINVAL', op, `optlen ${optlen} is below the ${command.minOptlen} bytes ${command.name} needs`, details);
  const opt = request.opt ?? {};
  const unreadable = (field: string) => errnoError('ENODATA', op, `the module could not read the payload's ${field}`, details);
  switch (command.name) {
    case 'CBTINFO': return cbtInfoOf(core, devicePath);
    case 'SNAPSHOTINFO': return snapshotInfoOf(core, devicePath);
    case 'CBTMAP':
      if (opt.offsetBlocks === undefined || opt.lengthBlocks === undefined) throw unreadable('offset and length');
      return readCbtMap(core, devicePath, opt.offsetBlocks, opt.lengthBlocks);
    case 'CBTDIRTY':
      if (!opt.ranges) throw unreadable('ranges');
      markDirty(core, devicePath, opt.ranges);
      return null;
    case 'SNAPSHOTADD':
      if (opt.snapshotId === undefined) throw unreadable('snapshot id');
      addDevice(core, opt.snapshotId, devicePath);
      return null;
  }
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}
