// A snapshot image in the device list. The real module lists each image as a block device and
// accepts its filter on one (ATTACH measured on lk6.15, v7, v6 and VAL-7.0: test/vm errors case):
// adding it to a snapshot would snapshot a snapshot's image, and destroying a snapshot while a
// tracker sits on its image is untested. The service refuses both; the UI and the CLI say why.
import { appError, type BlksnapError } from './errors';

/** Whose image a device is: the original device and the snapshot (null: not one of this app's). */
export interface ImageOf {
  original: string;
  snapshotId: string | null;
}

/** "the snapshot image of /dev/vda in snapshot 1234…" — the reason a control is disabled. */
export function imageOfText(of: ImageOf): string {
  const snapshot = of.snapshotId ? `snapshot ${of.snapshotId}` : 'a snapshot this app did not create';
  return `the snapshot image of ${of.original} in ${snapshot}`;
}

export type ImageGuardedOperation = 'attach' | 'snapshotCreate' | 'snapshotAdd';

const WHAT: Record<ImageGuardedOperation, string> = {
  attach: 'attaching a tracker to it',
  snapshotCreate: 'putting it in a snapshot',
  snapshotAdd: 'adding it to a snapshot',
};

/** The refusal, before any call to the module. */
export function imageRefusal(operation: ImageGuardedOperation, device: string, of: ImageOf): BlksnapError {
  return appError(
    'EGUARD',
    `${device} is ${imageOfText(of)}: ${WHAT[operation]} is refused (the module would accept it, and a snapshot ` +
      `would then snapshot an image). Use ${of.original} itself, or read the image as it is.`,
    { device, image: device, original: of.original, snapshotId: of.snapshotId, operation },
  );
}
