// Runs under the LD_PRELOAD fake v1 module (stretch.fake.test.ts): a snapshot of the device
// holding STRETCH_DIR, stretched by the StretchService with the KernelRangeAllocator (real
// fallocate + FIEMAP), driven by an event pump like the service layer's. Modes:
//   full:  run until the limit is reached and the snapshot overflows, destroy, delete files;
//   crash: after STRETCH_CRASH_AFTER files, die with SIGKILL (files and manifest stay).
// Prints one JSON line: app events, files with `filefrag` output, module answers.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { openV1Backend } from '../../../../electron/control/kernel/dialects/v1';
import { KernelRangeAllocator, StretchService, type StretchAppEvent } from '../../../../electron/service/stretch';
import type { SnapshotEvent } from '../../../../shared/schemas';

const dir = process.env.STRETCH_DIR ?? '';
const device = process.env.STRETCH_DEVICE ?? '';
const mode = process.env.STRETCH_MODE ?? 'full';
const limitBytes = Number(process.env.STRETCH_LIMIT_BYTES ?? 4 << 20);
const crashAfter = Number(process.env.STRETCH_CRASH_AFTER ?? 2);

const control = await openV1Backend({ controlPath: '/dev/veeamblksnap', variant: '6.1+' });
const appEvents: StretchAppEvent[] = [];
const moduleEvents: SnapshotEvent[] = [];
const id = await control.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: limitBytes / 512, devices: [device] });
const stretch = new StretchService({ control, snapshotId: id, directory: dir, limitBytes, allocator: new KernelRangeAllocator(), onAppEvent: (e) => appEvents.push(e) });
await stretch.start();

const filefrag: Record<string, string> = {};
let taken = false;
for (let i = 0; i < 2000; i++) {
  const ev = await control.waitEvent(id, 1);
  if (ev) {
    moduleEvents.push(ev);
    await stretch.onEvent(ev);
    if (ev.kind === 'corrupted') break;
  }
  for (const f of stretch.status().files) filefrag[f.path] ??= execFileSync('filefrag', ['-v', '-b512', f.path], { encoding: 'utf8' });
  if (!taken && stretch.status().files.length > 0) {
    await control.snapshotTake(id);
    taken = true;
  }
  if (mode === 'crash' && stretch.status().files.length >= crashAfter) process.kill(process.pid, 'SIGKILL');
}

const status = stretch.status();
const info = await control.snapshotInfo(device);
const usage = await control.diffStorageUsage(id);
const stopWhileAlive = await stretch.stop({ deleteFiles: true }).then(() => 'stopped', (e: Error) => e.message);
const filesBeforeDestroy = readdirSync(dir).sort();
await control.snapshotDestroy(id);
await stretch.stop({ deleteFiles: true });
console.log(JSON.stringify({ id, taken, appEvents, moduleEvents, status, filefrag, info, usage, stopWhileAlive, filesBeforeDestroy, filesAfter: readdirSync(dir).sort() }));
