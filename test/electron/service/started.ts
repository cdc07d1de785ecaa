// Services under test: started with fast timings and no data folder unless a test gives one, and
// every service started and every folder made closed and removed after each test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createService, type BlksnapService, type ServiceConfig } from '../../../electron/service';
import type { BlksnapControl } from '../../../electron/control/types';

export const FAST: Partial<ServiceConfig> = { pollIntervalMs: 20, fillSampleIntervalMs: 10, pushBatchMs: 5, dataDir: null };

/** Call at a test file's top level: registers the clean-up with vitest. */
export function startedServices() {
  const open: BlksnapService[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    start(control: BlksnapControl, config: Partial<ServiceConfig> = {}): BlksnapService {
      const service = createService(control, { ...FAST, ...config });
      open.push(service);
      return service;
    },
    tempDir(): string {
      const dir = mkdtempSync(join(tmpdir(), 'blksnap-service-'));
      dirs.push(dir);
      return dir;
    },
  };
}
