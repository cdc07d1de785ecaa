import type { StateCreator } from 'zustand';
import type { BackendInfo, ModuleParameters } from '../../shared/schemas';
import type { WorkloadStatus } from '../../shared/contract';
import type { Route } from './route';
import type { AppState } from './types';

/** 'lost': the web transport dropped after the first load and is reconnecting by itself. */
export type ConnectionState = 'connecting' | 'ready' | 'failed' | 'lost';

export interface UiSlice {
  route: Route;
  connection: ConnectionState;
  connectionError: string | null;
  backend: BackendInfo | null;
  parameters: ModuleParameters | null;
  parametersError: string | null;
  workloads: WorkloadStatus[];
  navigate: (route: Route) => void;
  setConnection: (connection: ConnectionState, error?: string | null) => void;
  setBackend: (backend: BackendInfo) => void;
  setParameters: (parameters: ModuleParameters | null, error?: string | null) => void;
  setWorkloads: (workloads: WorkloadStatus[]) => void;
}

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  route: { view: 'devices' },
  connection: 'connecting',
  connectionError: null,
  backend: null,
  parameters: null,
  parametersError: null,
  workloads: [],
  navigate: (route) => set({ route }),
  setConnection: (connection, error = null) => set({ connection, connectionError: error }),
  setBackend: (backend) => set({ backend }),
  setParameters: (parameters, error = null) => set({ parameters, parametersError: error }),
  setWorkloads: (workloads) => set({ workloads }),
});
