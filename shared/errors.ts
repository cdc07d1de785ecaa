// Errors are values with a code, a message for people and the details that explain them.
// They cross every transport (IPC, WebSocket, CLI) unchanged as ErrorInfo.

/** Linux x86_64 errno numbers and their generic meaning (strerror). */
export const ERRNO = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  ESRCH: [3, 'No such process'],
  EINTR: [4, 'Interrupted system call'],
  EIO: [5, 'Input/output error'],
  ENXIO: [6, 'No such device or address'],
  E2BIG: [7, 'Argument list too long'],
  EBADF: [9, 'Bad file descriptor'],
  EAGAIN: [11, 'Resource temporarily unavailable'],
  ENOMEM: [12, 'Cannot allocate memory'],
  EACCES: [13, 'Permission denied'],
  EFAULT: [14, 'Bad address'],
  ENOTBLK: [15, 'Block device required'],
  EBUSY: [16, 'Device or resource busy'],
  EEXIST: [17, 'File exists'],
  EXDEV: [18, 'Invalid cross-device link'],
  ENODEV: [19, 'No such device'],
  ENOTDIR: [20, 'Not a directory'],
  EISDIR: [21, 'Is a directory'],
  EINVAL: [22, 'Invalid argument'],
  ENFILE: [23, 'Too many open files in system'],
  EMFILE: [24, 'Too many open files'],
  ENOTTY: [25, 'Inappropriate ioctl for device'],
  EFBIG: [27, 'File too large'],
  ENOSPC: [28, 'No space left on device'],
  EROFS: [30, 'Read-only file system'],
  ERANGE: [34, 'Numerical result out of range'],
  ENAMETOOLONG: [36, 'File name too long'],
  ENOSYS: [38, 'Function not implemented'],
  ENODATA: [61, 'No data available'],
  ETIME: [62, 'Timer expired'],
  EOVERFLOW: [75, 'Value too large for defined data type'],
  EOPNOTSUPP: [95, 'Operation not supported'],
  ENOBUFS: [105, 'No buffer space available'],
  ETIMEDOUT: [110, 'Connection timed out'],
  EALREADY: [114, 'Operation already in progress'],
  ECANCELED: [125, 'Operation canceled'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrnoName = keyof typeof ERRNO;

/** Codes of our own (not errno): validation, guard rails, transport. */
export const APP_CODES = {
  EBADARG: 'A request argument is invalid',
  EGUARD: 'Refused by a safety guard of blksnap Manager',
  EUNSUPPORTED: 'Not supported by this blksnap dialect',
  EBACKEND: 'The control backend is not available',
  ETRANSPORT: 'The connection to blksnap Manager failed',
  EAUTH: 'Missing or wrong access token',
  EINTERNAL: 'Internal error',
} as const;

export type AppCode = keyof typeof APP_CODES;
export type ErrorCode = ErrnoName | AppCode;

/** The serialisable form of every error that leaves a layer. */
export interface ErrorInfo {
  code: ErrorCode;
  /** errno number when code is an errno name. */
  errno?: number;
  /** What failed and what it means for this call, for people. */
  message: string;
  /** The operation that failed, e.g. "attach" or "SNAPSHOT_TAKE". */
  operation?: string;
  /** Facts that explain it: device path, snapshot id, field name, dialect, ... */
  details?: Record<string, string | number | boolean | null>;
}

export class BlksnapError extends Error implements ErrorInfo {
  readonly code: ErrorCode;
  readonly errno?: number;
  readonly operation?: string;
  readonly details?: Record<string, string | number | boolean | null>;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'BlksnapError';
    this.code = info.code;
    if (info.errno !== undefined) this.errno = info.errno;
    if (info.operation !== undefined) this.operation = info.operation;
    if (info.details !== undefined) this.details = info.details;
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message };
    if (this.errno !== undefined) info.errno = this.errno;
    if (this.operation !== undefined) info.operation = this.operation;
    if (this.details !== undefined) info.details = this.details;
    return info;
  }
}

export function isErrnoName(code: string): code is ErrnoName {
  return Object.hasOwn(ERRNO, code);
}

export function errnoName(errno: number): ErrnoName | undefined {
  for (const [name, [num]] of Object.entries(ERRNO)) if (num === errno) return name as ErrnoName;
  return undefined;
}

export function errnoMeaning(code: ErrnoName): string {
  return ERRNO[code][1];
}

/**
 * An errno failure of a blksnap operation. `meaning` says what the errno means for this call
 * in this dialect (e.g. ENOENT on a filter command: "the device is not tracked").
 */
export function errnoError(
  code: ErrnoName,
  operation: string,
  meaning: string,
  details?: Record<string, string | number | boolean | null>,
): BlksnapError {
  const [errno, generic] = ERRNO[code];
  const info: ErrorInfo = { code, errno, operation, message: `${operation}: ${code} (${generic}): ${meaning}` };
  if (details) info.details = details;
  return new BlksnapError(info);
}

export function appError(
  code: AppCode,
  message: string,
  details?: Record<string, string | number | boolean | null>,
): BlksnapError {
  const info: ErrorInfo = { code, message };
  if (details) info.details = details;
  return new BlksnapError(info);
}

/** Any thrown value as ErrorInfo, for transports. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof BlksnapError) return err.toInfo();
  if (err instanceof Error) return { code: 'EINTERNAL', message: err.message };
  return { code: 'EINTERNAL', message: String(err) };
}
