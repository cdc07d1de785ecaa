// The Electron transport, renderer side: the preload's `window.blksnap` bridge as BlksnapApi.
import type { PushPayload, PushSource, PushTopic } from '../../shared/contract';
import type { BlksnapBridge } from '../../shared/wire';
import { toErrorInfo } from '../../shared/errors';
import { apiOver, type ApiClient } from './client';

export function createIpcApi(bridge: BlksnapBridge): ApiClient {
  const api = apiOver(async (method, args) => {
    try {
      return await bridge.invoke(method, args);
    } catch (err) {
      return { ok: false, error: { ...toErrorInfo(err), code: 'ETRANSPORT', operation: method } };
    }
  });
  const push: PushSource = {
    subscribe<T extends PushTopic>(topic: T, listener: (payload: PushPayload<T>) => void) {
      return bridge.subscribe(topic, listener as (payload: unknown) => void);
    },
  };
  return { api, push, transport: 'ipc' };
}
