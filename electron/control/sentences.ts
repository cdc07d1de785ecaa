// Sentences both backends say alike for what never reaches the module (issue 19, item 12): the
// kernel clients' checks before an ioctl, and the emulator's models of them.
import { appError, errnoMeaning, isErrnoName, type BlksnapError } from '../../shared/errors';

/** A device path the v1 client cannot turn into a dev_t (no /sys entry, stat fails). */
export function unknownBlockDevice(device: string, errnoName: string): BlksnapError {
  const why = isErrnoName(errnoName) ? `${errnoName}: ${errnoMeaning(errnoName).toLowerCase()}` : errnoName;
  return appError('EBADARG', `${device} is not a block device this system knows (${why})`, { device });
}

/** A path that exists but is no block device (the v1 client's stat before any ioctl; upstream's before opening a special file). */
export function notABlockDevice(device: string): BlksnapError {
  return appError('EBADARG', `${device} is not a block device`, { device });
}

/** v1 has no ATTACH: trackers appear at SNAPSHOT_CREATE. */
export function v1HasNoAttach(device: string): BlksnapError {
  return appError('EUNSUPPORTED', `attach ${device}: v1 has no attach; on v1 trackers appear at snapshot create (SNAPSHOT_CREATE attaches one per listed device)`, { dialect: 'v1', device });
}
