// What both transports share on the renderer side: the typed BlksnapApi built from the
// contract's method names over one `call` function, and outcomes turned back into errors.
import { API, type ApiMethod, type BlksnapApi, type PushSource } from '../../shared/contract';
import { BlksnapError } from '../../shared/errors';
import type { CallOutcome } from '../../shared/wire';

export interface ApiClient {
  api: BlksnapApi;
  push: PushSource;
  transport: 'ipc' | 'web';
}

export type CallFn = (method: ApiMethod, args: unknown) => Promise<CallOutcome>;

/** One async function per contract method; a failed call rejects with a BlksnapError. */
export function apiOver(call: CallFn): BlksnapApi {
  const api: Record<string, (args: unknown) => Promise<unknown>> = {};
  for (const method of Object.keys(API) as ApiMethod[]) {
    api[method] = async (args: unknown) => unwrap(await call(method, args ?? {}));
  }
  return api as unknown as BlksnapApi;
}

export function unwrap(outcome: CallOutcome): unknown {
  if (outcome.ok) return outcome.result;
  throw new BlksnapError(outcome.error);
}
