// The service layer's entry: createService(control, config) → BlksnapService.
import type { BlksnapControl } from '../control/types';
import type { ServiceConfig } from './config';
import { Service, type BlksnapService } from './service';

export type { BlksnapService, SnapshotLifecycleListener, ServiceStats } from './service';
export type { ServiceConfig, DoctorProvider, StartWorkload, WorkloadHandle } from './config';
export type { AppEventInput, EventCount } from './eventLog';
export { waitEventFor } from './pump';
export { callValidated, validationError, type CallContext } from './validate';

export function createService(control: BlksnapControl, config: Partial<ServiceConfig> = {}): BlksnapService {
  return new Service(control, config);
}
