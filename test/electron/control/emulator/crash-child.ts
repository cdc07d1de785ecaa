// Child of crash.test.ts: opens the emulator on argv[2] and writes self-describing patterns to
// /dev/vda until it is killed. Mode "cow" only writes; mode "cycle" also destroys, creates and
// takes snapshots so kills land inside those too.
import { createEmulator } from '../../../../electron/control/emulator';

const [stateDir, mode, seedText, storeDir] = process.argv.slice(2) as [string, string, string, string];
let seed = Number(seedText) >>> 0;
const random = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const DEVICE = 2 * 2 ** 20;

function pattern(offset: number, bytes: number, tag: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < bytes; i += 4) view.setUint32(i, (((offset + i) / 4) ^ (tag << 24)) >>> 0, true);
  return out;
}

async function main(): Promise<void> {
  const emu = await createEmulator({ stateDir });
  process.stdout.write('ready\n');
  for (let n = 0; ; n++) {
    const length = 4096 * (1 + Math.floor(random() * 16));
    const offset = 4096 * Math.floor(random() * ((DEVICE - length) / 4096 + 1));
    await emu.write('/dev/vda', offset, pattern(offset, length, 2 + Math.floor(random() * 200)));
    if (mode === 'cycle' && n % 8 === 7) {
      for (const id of await emu.snapshotCollect()) await emu.snapshotDestroy(id);
      const id = await emu.snapshotCreate({ diffStoragePath: storeDir, diffStorageLimitSectors: 65536, devices: [] });
      await emu.snapshotAdd(id, '/dev/vda');
      await emu.snapshotTake(id);
    }
  }
}

void main();
