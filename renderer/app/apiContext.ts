// The API client the views call; which transport carries it is not their concern.
import { createContext, useContext } from 'react';
import type { BlksnapApi, PushSource } from '../../shared/contract';

export interface ApiClient {
  api: BlksnapApi;
  push: PushSource;
  transport: 'ipc' | 'web' | 'fake';
}

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): BlksnapApi {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi needs an ApiContext provider');
  return client.api;
}

export function useApiClient(): ApiClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApiClient needs an ApiContext provider');
  return client;
}
