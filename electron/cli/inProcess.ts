// The service booted in this process, as the app boots it, behind the same argument
// validation the transports apply (so a bad argument is EBADARG here too).
import { API, type ApiMethod, type BlksnapApi } from '../../shared/contract';
import { BlksnapError } from '../../shared/errors';
import { bootService } from '../app/boot';
import type { BlksnapService } from '../service';
import { callValidated } from '../service/validate';
import type { ApiConnection } from './connect';
import type { GlobalOptions } from './globals';

/** Every call of `service` through callValidated; failures thrown as BlksnapError. `signal` ends waits (SIGINT). */
export function validatingApi(service: BlksnapApi, signal?: AbortSignal): BlksnapApi {
  const api: Partial<Record<ApiMethod, (args: unknown) => Promise<unknown>>> = {};
  for (const method of Object.keys(API) as ApiMethod[]) {
    api[method] = async (args: unknown) => {
      const outcome = await callValidated(service, method, args, signal ? { signal } : {});
      if (!outcome.ok) throw new BlksnapError(outcome.error);
      return outcome.result;
    };
  }
  return api as BlksnapApi;
}

/**
 * A booted service as blksnapctl uses it: validated calls. Module events a run drained and
 * nobody read stay in the service's queue file for the next run (electron/service/waiters.ts).
 */
export function inProcessConnection(service: BlksnapService, stateDir: string, close: () => Promise<void>, signal?: AbortSignal): ApiConnection {
  let unshare: (() => Promise<void>) | null = null;
  return {
    api: validatingApi(service, signal),
    kind: 'in-process',
    share: async () => {
      // The web server (ws, http) only for the long runs that share their service.
      const { shareService } = await import('../web/runtime');
      unshare ??= await shareService(service, stateDir);
    },
    close: async () => {
      await unshare?.().catch(() => undefined);
      await close();
    },
  };
}

/** The service booted here, as the app boots it (backend selection, doctor, workloads). */
export async function bootInProcess(globals: GlobalOptions, signal?: AbortSignal): Promise<ApiConnection> {
  const booted = await bootService({ emulatorDir: globals.emulatorDir, backend: globals.backend, dialect: globals.dialect, emulate: globals.emulate });
  return inProcessConnection(booted.service, globals.emulatorDir, () => booted.close(), signal);
}
