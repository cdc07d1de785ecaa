// The one way v1 requests reach the module: by name from the layout table, so nothing outside
// the table (and never nr 12) can be sent. The port is injectable so refusal paths and the
// trace replay can run without a module.
import { NativeMemory, O_CLOEXEC, O_RDWR, sysClose, sysIoctl, sysIoctlBlocking, sysOpen, type SyscallResult } from '../../native';
import { appError, errnoError } from '../../../../../shared/errors';
import { V1_ARG_STRUCT, V1_FORBIDDEN_NR, V1_REQUEST, V1_STRUCT, type V1RequestName } from './layout';

export interface V1IoctlPort {
  ioctl(request: number, arg: NativeMemory): SyscallResult;
  /** For SNAPSHOT_WAIT_EVENT: runs off the event loop. */
  ioctlBlocking(request: number, arg: NativeMemory): Promise<SyscallResult>;
  close(): void;
}

/** The real control node, opened read-write as the v1 tool does. */
export function openKernelPort(controlPath: string): V1IoctlPort {
  const opened = sysOpen(controlPath, O_RDWR | O_CLOEXEC);
  if (opened.ret < 0) {
    throw errnoError(opened.errnoName ?? 'EIO', 'open', `cannot open the v1 control node ${controlPath}`, { path: controlPath });
  }
  const fd = opened.ret;
  let closed = false;
  return {
    ioctl: (request, arg) => sysIoctl(fd, request, arg.address),
    ioctlBlocking: (request, arg) => sysIoctlBlocking(fd, request, arg.address),
    close: () => {
      if (closed) return;
      closed = true;
      sysClose(fd);
    },
  };
}

/** Checks a request against the table before it is sent (defence in depth). */
export function checkedRequest(name: V1RequestName, argSize: number): number {
  const request = V1_REQUEST[name];
  const expected = V1_STRUCT[V1_ARG_STRUCT[name]].size;
  if ((request & 0xff) === V1_FORBIDDEN_NR) throw appError('EGUARD', 'v1 ioctl nr 12 is never sent: the module reads past its dispatch table');
  if (argSize !== expected) throw appError('EINTERNAL', `v1 ${name}: argument of ${argSize} bytes, the struct has ${expected}`);
  return request;
}
