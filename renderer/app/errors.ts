// Errors from the API arrive as ErrorInfo-shaped values ({code, message, details}).
import type { ErrorInfo } from '../../shared/errors';

export function isErrorInfo(value: unknown): value is ErrorInfo {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string'
    && typeof (value as { code?: unknown }).code === 'string';
}

/** A thrown value as one line for people: the service's message, or what we know. */
export function errorMessage(err: unknown): string {
  if (isErrorInfo(err)) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function errorCode(err: unknown): string | null {
  return isErrorInfo(err) ? err.code : null;
}
