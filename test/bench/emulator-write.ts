// Write throughput of the emulator against plain file writes (issue 3 targets: no snapshot
// ≥ 0.9× plain; held snapshot ≥ 0.5× plain for sequential 1 MiB). Prints figures only.
// Run: npx tsx test/bench/emulator-write.ts [--mib 256] [--dir /path]
//
// Page-cache write speed drifts a lot during a run (writeback, memory limits), so the three
// targets are written interleaved, write by write, at the same offsets: each scenario's time
// is the sum of its own writes, measured under the same conditions as the others.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEmulator, type Emulator } from '../../electron/control/emulator';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const TOTAL_MIB = Number(arg('--mib') ?? 256);
const BASE_DIR = arg('--dir') ?? os.tmpdir();
const DEVICE_BYTES = TOTAL_MIB * 2 ** 20;
const RANDOM_WRITES = 16_384;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 4294967296;
  };
}

interface Target {
  name: string;
  write: (offset: number, data: Uint8Array) => Promise<void> | void;
  /** Wall time and CPU time (user + system, µs) spent in this target's writes. */
  ms: number;
  cpuUs: number;
  close: () => Promise<void> | void;
}

function plainTarget(file: string): Target {
  const fd = fs.openSync(file, 'w+');
  fs.ftruncateSync(fd, DEVICE_BYTES);
  return {
    name: 'plain file', ms: 0, cpuUs: 0,
    write: (off, data) => {
      let done = 0;
      while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, off + done);
    },
    close: () => fs.closeSync(fd),
  };
}

async function emulatedTarget(dir: string, name: string, snapshot: boolean, prefill = false): Promise<Target> {
  const emu: Emulator = await createEmulator({ stateDir: path.join(dir, name) });
  await emu.createDevice('vda', DEVICE_BYTES);
  await emu.attach('/dev/vda');
  if (prefill) {
    const data = new Uint8Array(2 ** 20).fill(0x33);
    for (let off = 0; off < DEVICE_BYTES; off += data.length) await emu.write('/dev/vda', off, data);
  }
  if (snapshot) {
    const id = await emu.snapshotCreate({ diffStoragePath: path.join(dir, name), diffStorageLimitSectors: 4 * (DEVICE_BYTES / 512), devices: [] });
    await emu.snapshotAdd(id, '/dev/vda');
    await emu.snapshotTake(id);
  }
  return { name, ms: 0, cpuUs: 0, write: (off, data) => emu.write('/dev/vda', off, data), close: () => emu.close() };
}

interface Rates { wall: number[]; cpu: number[] }

/** Writes the block at each offset to every target in turn; MiB/s of wall and of CPU time per target. */
async function interleaved(targets: Target[], data: Uint8Array, offsets: number[]): Promise<Rates> {
  for (const t of targets) {
    t.ms = 0;
    t.cpuUs = 0;
  }
  for (const [i, off] of offsets.entries()) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(i + k) % targets.length] as Target; // rotate who goes first
      const cpu = process.cpuUsage();
      const start = performance.now();
      await t.write(off, data);
      t.ms += performance.now() - start;
      const used = process.cpuUsage(cpu);
      t.cpuUs += used.user + used.system;
    }
  }
  const mib = (offsets.length * data.length) / 2 ** 20;
  return { wall: targets.map((t) => mib / (t.ms / 1000)), cpu: targets.map((t) => mib / (t.cpuUs / 1e6)) };
}

const fmt = (v: number): string => v.toFixed(0).padStart(6);
const ratio = (v: number, base: number): string => `${(v / base).toFixed(2)}×`.padStart(6);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(BASE_DIR, 'blksnap-bench-'));
  try {
    console.log(`emulator write benchmark: ${TOTAL_MIB} MiB devices, ${RANDOM_WRITES} random 4 KiB writes, files in ${dir}`);
    const seqOffsets = Array.from({ length: TOTAL_MIB }, (_, i) => i * 2 ** 20);
    const random = rng(1);
    const rndOffsets = Array.from({ length: RANDOM_WRITES }, () => Math.floor(random() * (DEVICE_BYTES / 4096)) * 4096);
    const seqData = new Uint8Array(2 ** 20).fill(0x5a);
    const rndData = new Uint8Array(4096).fill(0xa5);

    // Sequential: fresh sparse files, first pass (held snapshot: every chunk copied once), then a rewrite.
    let targets = [
      plainTarget(path.join(dir, 'plain-seq.img')), await emulatedTarget(dir, 'none-seq', false),
      await emulatedTarget(dir, 'held-seq', true), await emulatedTarget(dir, 'held-full-seq', true, true),
    ];
    const seq: Rates = await interleaved(targets, seqData, seqOffsets);
    const seq2 = await interleaved(targets, seqData, seqOffsets);
    for (const t of targets) await t.close();

    targets = [
      plainTarget(path.join(dir, 'plain-rnd.img')), await emulatedTarget(dir, 'none-rnd', false),
      await emulatedTarget(dir, 'held-rnd', true), await emulatedTarget(dir, 'held-full-rnd', true, true),
    ];
    const rnd = await interleaved(targets, rndData, rndOffsets);
    for (const t of targets) await t.close();

    const table = (title: string, pick: (r: Rates) => number[]): void => {
      const [pS, nS, hS, fS] = pick(seq) as [number, number, number, number];
      const [pS2, nS2, hS2, fS2] = pick(seq2) as [number, number, number, number];
      const [pR, nR, hR, fR] = pick(rnd) as [number, number, number, number];
      console.log('');
      console.log(title);
      console.log('                                 sequential 1 MiB             random 4 KiB');
      console.log('scenario                         first pass      rewrite      (fresh files)');
      console.log('                                 MiB/s  ratio    MiB/s ratio  MiB/s  ratio');
      console.log(`plain file                       ${fmt(pS)} ${ratio(pS, pS)}   ${fmt(pS2)} ${ratio(pS2, pS2)} ${fmt(pR)} ${ratio(pR, pR)}`);
      console.log(`emulated, tracked, no snapshot   ${fmt(nS)} ${ratio(nS, pS)}   ${fmt(nS2)} ${ratio(nS2, pS2)} ${fmt(nR)} ${ratio(nR, pR)}`);
      console.log(`emulated, held snapshot, sparse  ${fmt(hS)} ${ratio(hS, pS)}   ${fmt(hS2)} ${ratio(hS2, pS2)} ${fmt(hR)} ${ratio(hR, pR)}`);
      console.log(`emulated, held snapshot, data    ${fmt(fS)} ${ratio(fS, pS)}   ${fmt(fS2)} ${ratio(fS2, pS2)} ${fmt(fR)} ${ratio(fR, pR)}`);
      console.log(`issue 3 targets: no snapshot ≥ 0.9× plain → seq ${ratio(nS, pS).trim()}, random ${ratio(nR, pR).trim()}; held snapshot ≥ 0.5× plain for sequential → ${ratio(hS, pS).trim()} sparse, ${ratio(fS, pS).trim()} with data`);
    };
    table('Wall time (what a user sees; drifts with writeback and other load on the machine):', (r) => r.wall);
    table('CPU time of this process (user + system; steadier under load, excludes writeback):', (r) => r.cpu);
    console.log('');
    console.log('held snapshot, first pass: every write first copies its 256 KiB chunks (random 4 KiB: 64× the bytes).');
    console.log('"sparse": a fresh emulated device, whose zero chunks need no storage write; "data": the device was filled before take.');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
