// Runs a user action against the API: pending while it runs, the error message if it fails.
import { useCallback, useRef, useState } from 'react';
import { errorCode, errorMessage } from '../app/errors';

export interface Action<A extends unknown[]> {
  run: (...args: A) => Promise<boolean>;
  pending: boolean;
  error: string | null;
  /** The failure's code (EBUSY, EGUARD, ...), null when none or unknown. */
  errorCode: string | null;
  clearError: () => void;
}

export function useAction<A extends unknown[]>(fn: (...args: A) => Promise<unknown>): Action<A> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [code, setCode] = useState<string | null>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const run = useCallback(async (...args: A) => {
    setPending(true);
    setError(null);
    setCode(null);
    try {
      await fnRef.current(...args);
      return true;
    } catch (err) {
      setError(errorMessage(err));
      setCode(errorCode(err));
      return false;
    } finally {
      setPending(false);
    }
  }, []);
  const clearError = useCallback(() => {
    setError(null);
    setCode(null);
  }, []);
  return { run, pending, error, errorCode: code, clearError };
}
