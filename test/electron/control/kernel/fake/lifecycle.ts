// Child process of fake-module.test.ts, run as `node --import tsx lifecycle.ts` with the fake
// module in LD_PRELOAD: probe, open, and a full lifecycle through the kernel backend over real
// libc open/ioctl via ffi-rs. Prints one JSON object; errors become ErrorInfo values.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openKernelBackend, probeKernel } from '../../../../../electron/control/kernel/probe';
import { toErrorInfo } from '../../../../../shared/errors';

const root = process.env.FAKE_BLKSNAP_ROOT ?? '';
const kernelRelease = process.env.FAKE_KERNEL_RELEASE ?? '6.1.0';
const out: Record<string, unknown> = {};

async function step<T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
  try {
    const value = await fn();
    out[name] = { ok: value ?? null };
    return value;
  } catch (err) {
    out[name] = { error: toErrorInfo(err) };
    return undefined;
  }
}

async function main(): Promise<void> {
  const probe = probeKernel({ root, kernelRelease });
  out.probe = { dialect: probe.dialect, reasons: probe.reasons };
  const control = await openKernelBackend({ root, kernelRelease });
  out.info = control.info;
  const vda = `${root}/dev/vda`;
  const vdb = `${root}/dev/vdb`;
  const rangeMode = control.info.capabilities.storageModes.includes('ranges');

  await step('version', () => control.version());
  await step('devicesBefore', async () => (await control.listDevices()).map((d) => ({ name: d.name, tracked: d.tracked, discovery: d.discovery, capacitySectors: d.capacitySectors, devId: d.devId })));
  await step('attach', () => control.attach(vda));
  await step('attachTwice', () => control.attach(vda));
  await step('devicesAfter', async () => (await control.listDevices()).map((d) => ({ name: d.name, tracked: d.tracked, discovery: d.discovery })));
  await step('cbtInfo', () => control.cbtInfo(vda));
  await step('dirty', () => control.cbtDirty(vda, [{ offsetSectors: 2048, countSectors: 8 }, { offsetSectors: 409600, countSectors: 256 }]));
  await step('dirtyCount0', () => control.cbtDirty(vda, [{ offsetSectors: 0, countSectors: 0 }]));
  await step('dirtyPastEnd', () => control.cbtDirty(vda, [{ offsetSectors: 524280, countSectors: 16 }]));
  await step('mapPastEnd', () => control.cbtMap(vda, 4097, 1));

  const storageDir = mkdtempSync(join(tmpdir(), 'fake-storage-'));
  const storageFile = join(storageDir, 'diff');
  writeFileSync(storageFile, Buffer.alloc(4096));
  const storage = rangeMode ? null : control.info.dialect === 'v6' ? storageFile : storageDir;
  const id = await step('create', () => control.snapshotCreate({ diffStoragePath: storage, diffStorageLimitSectors: 2097152, devices: [] }));
  if (!id) throw new Error(`create failed: ${JSON.stringify(out.create)}`);
  if (rangeMode) {
    await step('rangeEvent', () => control.waitEvent(id, 0));
    await step('appendStorage', () => control.appendStorage(id, vdb, [{ offsetSectors: 0, countSectors: 8192 }]));
  }
  await step('add', () => control.snapshotAdd(id, vda));
  await step('addTwice', () => control.snapshotAdd(id, vda));
  await step('take', () => control.snapshotTake(id));
  await step('takeTwice', () => control.snapshotTake(id));
  await step('snapshotInfo', () => control.snapshotInfo(vda));
  await step('collect', () => control.snapshotCollect());
  await step('cbtInfoAfterTake', () => control.cbtInfo(vda));
  await step('mapAfterTake', async () => {
    const map = await control.cbtMap(vda, 0, 4096);
    const nonZero: Record<number, number> = {};
    map.forEach((v, i) => { if (v) nonZero[i] = v; });
    return nonZero;
  });

  // The fake queues the dialect's event 150 ms after take (on a loaded machine it may already be
  // queued when the wait starts, so the wait that is timed is the next one, on an empty queue).
  await step('event', () => control.waitEvent(id, 100));
  // A 100-tick wait (400 ms at HZ 250) with nothing queued blocks on another thread for its
  // whole timeout while the event loop keeps ticking: a call made on the loop's own thread
  // would let the interval fire at most once, after it returned.
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 10);
  const started = Date.now();
  await step('waitTimeout', () => control.waitEvent(id, 100));
  clearInterval(timer);
  out.eventWait = { ms: Date.now() - started, loopTicks: ticks };
  await step('waitAborted', () => {
    const ac = new AbortController();
    const pending = control.waitEvent(id, 25, { signal: ac.signal });
    ac.abort();
    return pending;
  });
  await step('usage', () => control.diffStorageUsage(id));
  await step('destroy', () => control.snapshotDestroy(id));
  await step('destroyTwice', () => control.snapshotDestroy(id));
  await step('waitDestroyed', () => control.waitEvent(id, 1));
  await step('detach', () => control.detach(vda));
  await step('cbtInfoDetached', () => control.cbtInfo(vda));
  await step('collectEmpty', () => control.snapshotCollect());
  await control.close();
}

main().then(
  () => process.stdout.write(`${JSON.stringify(out)}\n`),
  (err: unknown) => {
    process.stdout.write(`${JSON.stringify({ ...out, fatal: toErrorInfo(err) })}\n`);
    process.exitCode = 1;
  },
);
