// Write throughput of the emulator against plain file writes, each target in a pass of its own:
// fresh files, the device filled with data first (so a held snapshot copies real chunks), the
// timed writes, then fsync of every file the target wrote before the clock stops. The order of
// the targets alternates between rounds, and each figure is the median of its rounds.
// Targets (issue 16): no snapshot ≥ 0.9× plain; held snapshot, sequential ≥ 0.5× plain (its
// floor: every MiB becomes one read and two writes).
//   npm run bench -- emulator-write [--mib=128] [--rounds=3] [--dir=/path]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEmulator } from '../../electron/control/emulator';
import { seededRandom } from '../../shared/random';
import { machine, option, report, stats } from './_app';

const MIB = option('mib', 128);
const ROUNDS = option('rounds', 3);
const BASE_DIR = process.argv.find((a) => a.startsWith('--dir='))?.slice(6) ?? os.tmpdir();
const DEVICE_BYTES = MIB * 2 ** 20;
const RANDOM_WRITES = 4096;

type TargetName = 'plain file' | 'emulated, no snapshot' | 'emulated, held snapshot' | 'copy-on-write, no emulator';
/**
 * The last one is not the emulator: the same reads and writes a held snapshot costs (the chunk
 * read from the filled file, written to a new sparse storage file, then the write itself) done
 * with plain file calls, so the figure shows what the file system allows apart from the emulator.
 */
const TARGETS: TargetName[] = ['plain file', 'emulated, no snapshot', 'emulated, held snapshot', 'copy-on-write, no emulator'];

interface Target {
  write(offset: number, data: Uint8Array): Promise<void> | void;
  close(): Promise<void> | void;
}

/** fsync of every regular file under `dir`: what the target wrote reaches the disk. */
function fsyncTree(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const fd = fs.openSync(path.join(entry.parentPath, entry.name), 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

const FILL = new Uint8Array(2 ** 20).fill(0x33);

/** The emulator's chunk size for this device (256 KiB up to 2 GiB devices with default parameters). */
const CHUNK_BYTES = 256 * 1024;

function writeAll(fd: number, data: Uint8Array, offset: number): void {
  for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done, data.length - done, offset + done);
}

async function open(name: TargetName, dir: string): Promise<Target> {
  if (name === 'plain file' || name === 'copy-on-write, no emulator') {
    const fd = fs.openSync(path.join(dir, 'plain.img'), 'w+');
    for (let off = 0; off < DEVICE_BYTES; off += FILL.length) writeAll(fd, FILL, off);
    if (name === 'plain file') return { write: (off, data) => writeAll(fd, data, off), close: () => fs.closeSync(fd) };
    const storage = fs.openSync(path.join(dir, 'storage.img'), 'w+');
    fs.ftruncateSync(storage, 2 * DEVICE_BYTES);
    const copied = new Set<number>();
    const chunk = Buffer.alloc(4 * 2 ** 20);
    let storageEnd = 0;
    const write = (off: number, data: Uint8Array) => {
      // Chunks not yet copied, in runs of neighbours: one read and one write per run, as the emulator does.
      const first = Math.floor(off / CHUNK_BYTES);
      const last = Math.floor((off + data.length - 1) / CHUNK_BYTES);
      for (let c = first; c <= last;) {
        if (copied.has(c)) { c++; continue; }
        let end = c;
        while (end + 1 <= last && !copied.has(end + 1) && (end + 2 - c) * CHUNK_BYTES <= chunk.length) end++;
        const run = chunk.subarray(0, (end - c + 1) * CHUNK_BYTES);
        fs.readSync(fd, run, 0, run.length, c * CHUNK_BYTES);
        writeAll(storage, run, storageEnd);
        storageEnd += run.length;
        for (let k = c; k <= end; k++) copied.add(k);
        c = end + 1;
      }
      writeAll(fd, data, off);
    };
    return { write, close: () => { fs.closeSync(fd); fs.closeSync(storage); } };
  }
  const emu = await createEmulator({ stateDir: path.join(dir, 'state') });
  await emu.createDevice('vda', DEVICE_BYTES);
  await emu.attach('/dev/vda');
  for (let off = 0; off < DEVICE_BYTES; off += FILL.length) await emu.write('/dev/vda', off, FILL);
  if (name === 'emulated, held snapshot') {
    const storage = path.join(dir, 'storage');
    fs.mkdirSync(storage);
    const id = await emu.snapshotCreate({ diffStoragePath: storage, diffStorageLimitSectors: 2 * (DEVICE_BYTES / 512), devices: [] });
    await emu.snapshotAdd(id, '/dev/vda');
    await emu.snapshotTake(id);
  }
  return { write: (off, data) => emu.write('/dev/vda', off, data), close: () => emu.close() };
}

/** One pass: a fresh target, filled and synced, then the timed writes and fsync. MiB/s. */
async function pass(name: TargetName, data: Uint8Array, offsets: number[]): Promise<number> {
  const dir = fs.mkdtempSync(path.join(BASE_DIR, 'blksnap-bench-write-'));
  try {
    const target = await open(name, dir);
    fsyncTree(dir);
    const start = performance.now();
    for (const off of offsets) await target.write(off, data);
    fsyncTree(dir);
    const seconds = (performance.now() - start) / 1000;
    await target.close();
    return (offsets.length * data.length) / 2 ** 20 / seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`${machine()}\nemulator writes: ${MIB} MiB devices filled with data first, files in ${BASE_DIR}; ${ROUNDS} rounds, target order alternating, medians`);
  const random = seededRandom(3);
  const patterns = {
    'sequential 1 MiB': { data: new Uint8Array(2 ** 20).fill(0x5a), offsets: Array.from({ length: MIB }, (_, i) => i * 2 ** 20) },
    'random 4 KiB': { data: new Uint8Array(4096).fill(0xa5), offsets: Array.from({ length: RANDOM_WRITES }, () => Math.floor(random() * (DEVICE_BYTES / 4096)) * 4096) },
  };
  for (const [pattern, { data, offsets }] of Object.entries(patterns)) {
    const rates = new Map<TargetName, number[]>(TARGETS.map((t) => [t, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const name of order) rates.get(name)!.push(await pass(name, data, offsets));
    }
    const median = (name: TargetName) => stats(rates.get(name)!).p50;
    const plain = median('plain file');
    console.log(`\n${pattern} (${offsets.length.toLocaleString('en-US')} writes, ${(offsets.length * data.length / 2 ** 20).toFixed(0)} MiB, fsync included)`);
    for (const name of TARGETS) console.log(`  ${name.padEnd(26)} ${median(name).toFixed(0).padStart(6)} MiB/s   (rounds: ${rates.get(name)!.map((r) => r.toFixed(0)).join(', ')})`);
    const mibps = (v: number) => `${v.toFixed(2)}× plain`;
    report('no snapshot', median('emulated, no snapshot') / plain, 0.9, mibps, false);
    if (pattern.startsWith('sequential')) report('held snapshot', median('emulated, held snapshot') / plain, 0.5, mibps, false);
    else console.log(`  held snapshot: ${mibps(median('emulated, held snapshot') / plain)} (each 4 KiB write into a chunk not yet copied copies its 256 KiB chunk first; no target)`);
    const floor = median('copy-on-write, no emulator');
    console.log(`  the same copy-on-write without the emulator: ${mibps(floor / plain)}; the emulator's held snapshot reaches ${(median('emulated, held snapshot') / floor).toFixed(2)}× of it`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
