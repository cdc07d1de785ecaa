// What both transports share on the renderer side: the typed BlksnapApi built from the
// contract's method names over one `call` function, and outcomes turned back into errors.
// Method names from apiMethods.ts, not the contract: the entry chunk then carries no zod schemas.
import { API_METHODS } from '../../shared/apiMethods';
import type { ApiMethod, BlksnapApi, PushSource } from '../../shared/contract';
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
  for (const method of API_METHODS satisfies readonly ApiMethod[]) {
    api[method] = async (args: unknown) => unwrap(await call(method, args ?? {}));
  }
  return api as unknown as BlksnapApi;
}

export function unwrap(outcome: CallOutcome): unknown {
  if (outcome.ok) return outcome.result;
  throw new BlksnapError(outcome.error);
}
