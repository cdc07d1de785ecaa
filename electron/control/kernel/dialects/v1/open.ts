// openV1Backend: open the v1 control node, check VERSION (1.x), hand out the control.
import { NativeMemory } from '../../native';
import { appError } from '../../../../../shared/errors';
import type { BlksnapControl } from '../../../types';
import * as codec from './codec';
import { V1Control } from './control';
import { V1_NAMES, type V1Variant } from './names';
import { checkedRequest, openKernelPort, type V1IoctlPort } from './port';

export interface V1BackendOptions {
  /** /dev/veeamblksnap (6.1+) or /dev/blksnap (6.0). */
  controlPath: string;
  variant: V1Variant;
  /** Prefix for /sys and /proc lookups (tests); default "/". */
  root?: string;
  /** Why this backend was chosen (from the probe), shown to people. */
  reason?: string;
  /** Tests: a port instead of the real node. */
  port?: V1IoctlPort;
}

export async function openV1Backend(opts: V1BackendOptions): Promise<BlksnapControl> {
  const port = opts.port ?? openKernelPort(opts.controlPath);
  try {
    const mem = new NativeMemory(8);
    let version;
    try {
      mem.write(codec.encodeVersion());
      const res = port.ioctl(checkedRequest('VERSION', 8), mem);
      if (res.ret < 0) throw appError('EBACKEND', `VERSION on ${opts.controlPath} failed with ${res.errnoName ?? res.errno}`);
      version = codec.decodeVersion(mem.read());
    } finally {
      mem.free();
    }
    if (version.major !== 1) {
      throw appError('EBACKEND', `${opts.controlPath} answers VERSION ${version.major}.${version.minor}.${version.revision}.${version.build}, not 1.x: not the v1 dialect`);
    }
    return new V1Control(port, {
      variant: opts.variant, controlPath: opts.controlPath, root: opts.root ?? '/', version,
      reason: opts.reason ?? `${opts.controlPath} opened; VERSION ${version.major}.${version.minor}.${version.revision}.${version.build} (${V1_NAMES[opts.variant].label})`,
    });
  } catch (err) {
    port.close();
    throw err;
  }
}
