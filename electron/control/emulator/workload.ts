// A write workload on an emulated device (or image): sequential, uniform random or hot-spot,
// with a block size, a rate limit and a duration; deterministic for a given seed.
import { randomUUID } from 'node:crypto';
import { toErrorInfo } from '../../../shared/errors';
import type { WorkloadSpec, WorkloadStatus } from '../../../shared/contract';
import type { EmulatorControl } from '../types';
import { seededRandom as rng } from '../../../shared/random';

export interface WorkloadHandle {
  readonly id: string;
  status(): WorkloadStatus;
  stop(): Promise<void>;
  /** Resolves when the workload ends (duration over, stopped or failed). */
  readonly done: Promise<WorkloadStatus>;
}


/** Block offsets (in blocks from the region start) in the spec's pattern. */
export function offsetGenerator(pattern: WorkloadSpec['pattern'], blocks: number, seed: number): () => number {
  const random = rng(seed);
  let next = 0;
  const hotBlocks = Math.max(1, Math.floor(blocks / 10));
  const hotStart = Math.floor(random() * (blocks - hotBlocks + 1));
  return () => {
    if (pattern === 'sequential') {
      const b = next;
      next = (next + 1) % blocks;
      return b;
    }
    if (pattern === 'uniform') return Math.floor(random() * blocks);
    // hot spot: 90 % of the writes into 10 % of the region
    return random() < 0.9 ? hotStart + Math.floor(random() * hotBlocks) : Math.floor(random() * blocks);
  };
}

/** An emulated device's or (Emulator only) a snapshot image's capacity in bytes. */
async function capacityOf(emu: EmulatorControl, device: string): Promise<number | null> {
  const dev = (await emu.listDevices()).find((d) => d.path === device);
  if (dev) return dev.capacitySectors * 512;
  const withImages = emu as EmulatorControl & { listImages?: () => { path: string; capacitySectors: number }[] };
  const image = withImages.listImages?.().find((i) => i.path === device);
  return image ? image.capacitySectors * 512 : null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function startWorkload(emu: EmulatorControl, spec: WorkloadSpec, onProgress?: (s: WorkloadStatus) => void): WorkloadHandle {
  const id = randomUUID();
  const status: WorkloadStatus = { id, spec, running: true, writtenBytes: 0, writes: 0, error: null };
  let stopRequested = false;
  const snapshot = (): WorkloadStatus => ({ ...status, spec: { ...spec } });

  const run = async (): Promise<WorkloadStatus> => {
    try {
      const capacity = await capacityOf(emu, spec.device);
      const regionStart = spec.offsetBytes ?? 0;
      const regionLength = spec.lengthBytes ?? (capacity === null ? 0 : capacity - regionStart);
      const blocks = Math.floor(regionLength / spec.blockSizeBytes);
      if (blocks < 1) throw new Error(`the region of ${spec.device} holds no whole ${spec.blockSizeBytes}-byte block`);
      const seed = spec.seed ?? 1;
      const nextBlock = offsetGenerator(spec.pattern, blocks, seed);
      const random = rng(seed ^ 0x5bd1e995);
      const data = new Uint8Array(spec.blockSizeBytes);
      const started = performance.now();
      let lastReport = started;
      while (!stopRequested && performance.now() - started < spec.durationMs) {
        for (let i = 0; i < data.length; i += 4096) data[i] = Math.floor(random() * 256); // vary content cheaply
        await emu.write(spec.device, regionStart + nextBlock() * spec.blockSizeBytes, data);
        status.writes += 1;
        status.writtenBytes += data.length;
        const now = performance.now();
        if (spec.rateBytesPerSec > 0) {
          const due = started + (status.writtenBytes / spec.rateBytesPerSec) * 1000;
          if (due > now) await sleep(Math.min(due - now, spec.durationMs - (now - started)));
        } else if (status.writes % 64 === 0) {
          await sleep(0); // let other work (events, IPC) run
        }
        if (onProgress && now - lastReport >= 250) {
          lastReport = now;
          onProgress(snapshot());
        }
      }
    } catch (err) {
      status.error = toErrorInfo(err).message;
    }
    status.running = false;
    onProgress?.(snapshot());
    return snapshot();
  };
  const done = run();
  return {
    id,
    status: snapshot,
    stop: async () => {
      stopRequested = true;
      await done;
    },
    done,
  };
}
