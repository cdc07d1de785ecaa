// The registry entry of v1 (dialects/index.ts): VAL-6.1+ (`veeamblksnap`) or VAL-6.0
// (`blksnap`), told apart by /sys/class/<name>/major (spec §0.3), opened through the env's
// syscalls so the probe's test doubles apply.
import { O_CLOEXEC, O_RDWR } from '../../native';
import type { KernelEnv } from '../../env';
import { errnoError } from '../../../../../shared/errors';
import type { KernelDialect } from '../types';
import { V1_NAMES, type V1Variant } from './names';
import type { V1IoctlPort } from './port';
import { openV1Backend } from './open';

/** Which v1 build is loaded; null when neither class exists. */
export function v1Variant(env: KernelEnv): V1Variant | null {
  if (env.exists('/sys/class/veeamblksnap/major')) return '6.1+';
  if (env.exists('/sys/class/blksnap/major')) return '6.0';
  return null;
}

export function envPort(env: KernelEnv, controlPath: string): V1IoctlPort {
  const opened = env.sys.open(env.path(controlPath), O_RDWR | O_CLOEXEC);
  if (opened.ret < 0) {
    throw errnoError(opened.errnoName ?? 'EIO', 'open', `cannot open the v1 control node ${controlPath}${opened.errnoName === 'EACCES' ? ': run blksnap Manager as root' : ''}`, { path: controlPath });
  }
  const fd = opened.ret;
  let closed = false;
  return {
    ioctl: (request, arg) => env.sys.ioctl(fd, request, arg.address),
    ioctlBlocking: (request, arg) => env.sys.ioctlBlocking(fd, request, arg.address),
    close: () => {
      if (!closed) env.sys.close(fd);
      closed = true;
    },
  };
}

export const dialect: KernelDialect = {
  id: 'v1',
  label: 'Veeam Agent for Linux 6.x (v1)',
  verified: true,
  family: 'v1',
  versionMajor: 1,
  controlNode: V1_NAMES['6.1+'].controlNode,
  moduleName: V1_NAMES['6.1+'].module,
  open: async ({ env, reason }) => {
    const variant = v1Variant(env) ?? '6.1+';
    const controlPath = V1_NAMES[variant].controlNode;
    return openV1Backend({ controlPath, variant, root: env.root || '/', reason, port: envPort(env, controlPath) });
  },
};
