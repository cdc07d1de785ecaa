import { describe, expect, it } from 'vitest';
import type { WorkloadSpec, WorkloadStatus } from '../../../shared/contract';
import type { StartWorkload } from '../../../electron/service/config';
import { EmulatedDevices, requireEmulator } from '../../../electron/service/emulator';
import { FINISHED_WORKLOADS_KEPT, Workloads } from '../../../electron/service/workloads';
import { FakeControl } from './fakeControl';
import { busAndNotices, rejection } from './parts';

const SPEC: WorkloadSpec = { device: '/dev/vda', pattern: 'sequential', blockSizeBytes: 4096, rateBytesPerSec: 0, durationMs: 1000 };

/** A workload starter whose workloads end when the test says. */
function manualStarter() {
  const finish: Array<(error?: string) => void> = [];
  let n = 0;
  const start: StartWorkload = (_emu, spec, onProgress) => {
    n += 1;
    const status: WorkloadStatus = { id: `w${n}`, spec, running: true, writtenBytes: 0, writes: 0, error: null };
    const end = (error?: string) => {
      if (!status.running) return;
      Object.assign(status, { running: false, writes: 3, writtenBytes: 12288, error: error ?? null });
      onProgress?.({ ...status });
    };
    finish.push(end);
    return { id: status.id, status: () => ({ ...status }), stop: () => end() };
  };
  return { start, finish };
}

function emulatorWithVda(): FakeControl {
  const control = new FakeControl();
  control.addDevice('vda', 2 ** 20);
  return control;
}

describe('workloads', () => {
  it('refuses on the kernel backend, naming the operation', async () => {
    const { bus, notices } = busAndNotices();
    const w = new Workloads(new FakeControl('kernel'), bus, notices, manualStarter().start);
    const err = await rejection(w.begin(SPEC));
    expect(err.code).toBe('EUNSUPPORTED');
    expect(err.details).toMatchObject({ operation: 'workloadStart', backend: 'kernel' });
  });

  it('says once when a workload ends, with what it wrote, and pushes the list', async () => {
    const { bus, notices, pushed } = busAndNotices();
    const lists = pushed('workloads');
    const m = manualStarter();
    const w = new Workloads(emulatorWithVda(), bus, notices, m.start);
    await w.begin(SPEC);
    m.finish[0]!();
    m.finish[0]!();
    bus.flush();
    const ended = notices.list().filter((e) => e.message.includes('ended'));
    expect(ended).toHaveLength(1);
    expect(ended[0]!.message).toMatch(/3 writes, 12(\.0)? KiB written/);
    expect(lists.at(-1)).toEqual([expect.objectContaining({ id: 'w1', running: false })]);
  });

  it('keeps only the last finished workloads, and every running one', async () => {
    const { bus, notices } = busAndNotices();
    const m = manualStarter();
    const w = new Workloads(emulatorWithVda(), bus, notices, m.start);
    const total = FINISHED_WORKLOADS_KEPT + 5;
    for (let i = 0; i < total; i++) {
      await w.begin(SPEC);
      if (i > 0) m.finish[i]!();
    }
    await w.begin(SPEC);
    const ids = (await w.list()).map((s) => s.id);
    expect(ids).toContain('w1');
    expect(ids.filter((id) => id !== 'w1' && id !== `w${total + 1}`)).toHaveLength(FINISHED_WORKLOADS_KEPT);
    expect(ids).not.toContain('w2');
  });

  it('names an unknown workload id in the error', async () => {
    const { bus, notices } = busAndNotices();
    const w = new Workloads(new FakeControl(), bus, notices, manualStarter().start);
    const err = await rejection(w.stop({ id: 'nope' }));
    expect(err).toMatchObject({ code: 'EBADARG', message: 'No workload with id nope' });
  });
});

describe('emulated devices', () => {
  it('creates a device, says so and refreshes; the kernel backend refuses', async () => {
    const { notices } = busAndNotices();
    let refreshes = 0;
    const emu = new EmulatedDevices(new FakeControl(), notices, async () => { refreshes += 1; });
    const device = await emu.create({ name: 'vdx', sizeBytes: 2 ** 20 });
    expect(device.path).toBe('/dev/vdx');
    expect(refreshes).toBe(1);
    expect(notices.list()[0]).toMatchObject({ kind: 'emulator', device: '/dev/vdx' });
    expect(() => requireEmulator(new FakeControl('kernel'), 'emuRead')).toThrow(/emuRead works on the emulator only/);
  });
});
