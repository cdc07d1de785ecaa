// Runs one StretchService per snapshot of a dialect whose module asks user space for storage
// (v1): started at create, fed the pumped module events, given the chance to answer the
// creation-time low_free_space before TAKE (spec §6.4 step 4), stopped (files deleted) at destroy.
// On start it resumes stretching for the snapshots the service already knows.
import type { SnapshotCreateRequest } from '../../../shared/schemas';
import type { BlksnapService } from '../service';
import { StretchService } from './service';
import type { RangeAllocator, StretchAppEvent } from './types';

export interface StretchCoordinatorOptions {
  allocator: RangeAllocator;
  /** How long TAKE waits for the first storage portion to be appended. */
  firstPortionTimeoutMs?: number;
}

export interface StretchCoordinator {
  /** The running stretch service of a snapshot, if any. */
  get(id: string): StretchService | undefined;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function attachStretchCoordinator(service: BlksnapService, options: StretchCoordinatorOptions): Promise<StretchCoordinator> {
  const stretches = new Map<string, StretchService>();
  const firstPortionTimeoutMs = options.firstPortionTimeoutMs ?? 10_000;
  const onAppEvent = (e: StretchAppEvent) => {
    service.emitAppEvent({ ...e });
  };

  const start = async (id: string, directory: string, limitSectors: number | null) => {
    const stretch = new StretchService({
      control: { appendStorage: (...args) => service.appendStorage(...args), snapshotCollect: () => service.control.snapshotCollect() }, snapshotId: id, directory, limitBytes: limitSectors === null ? null : limitSectors * 512, allocator: options.allocator, onAppEvent,
    });
    stretches.set(id, stretch);
    try {
      await stretch.start();
    } catch (err) {
      stretches.delete(id);
      throw err;
    }
  };

  const detach = service.addLifecycleListener({
    async beforeCreate(request: SnapshotCreateRequest) {
      // Refuse a directory the storage cannot live in before the module has a snapshot.
      if (request.diffStoragePath) await options.allocator.checkDirectory(request.diffStoragePath);
    },
    async snapshotCreated(id: string, request: SnapshotCreateRequest) {
      if (!request.diffStoragePath) return;
      try {
        await start(id, request.diffStoragePath, request.diffStorageLimitSectors);
      } catch (err) {
        // Never silent: without the stretch service the module's requests go unanswered.
        service.emitAppEvent({ source: 'app', level: 'error', kind: 'stretch', snapshotId: id, message: `snapshot ${id} has no stretch service: ${(err as Error).message}; its storage requests go unanswered and TAKE is refused until storage is appended` });
      }
    },
    moduleEvent(event) {
      return stretches.get(event.snapshotId)?.onEvent(event);
    },
    async beforeTake(id: string) {
      const stretch = stretches.get(id);
      if (!stretch) return;
      // The module queued low_free_space at create; TAKE before it is answered overflows at the first copy.
      const deadline = Date.now() + firstPortionTimeoutMs;
      while (Date.now() < deadline) {
        const s = stretch.status();
        if (s.allocatedBytes > 0 || s.unansweredRequests > 0 || s.state !== 'running') return;
        await sleep(50);
      }
    },
    async snapshotDestroyed(id: string) {
      const stretch = stretches.get(id);
      stretches.delete(id);
      await stretch?.stop({ deleteFiles: true });
    },
  });

  // Snapshots created before this start (an app restart, another blksnapctl run): keep answering
  // their requests with the limit their manifest keeps (the fill sample may not have it yet).
  for (const snapshot of await service.listSnapshots({})) {
    if (!snapshot.diffStoragePath || stretches.has(snapshot.id)) continue;
    await start(snapshot.id, snapshot.diffStoragePath, snapshot.usage.limitSectors).catch((err: unknown) => {
      service.emitAppEvent({ source: 'app', level: 'error', kind: 'stretch', snapshotId: snapshot.id, message: `could not resume stretching: ${(err as Error).message}` });
    });
  }

  return {
    get: (id) => stretches.get(id),
    async close() {
      detach();
      for (const stretch of stretches.values()) await stretch.stop({ deleteFiles: false });
      stretches.clear();
    },
  };
}
