// The security suite's main proof (issue 13): a tree of sentinel files (regular files, symlinks,
// a FIFO, a character device where mknod is allowed; inside and outside the state directory) is
// hashed, then a seeded fuzz of >= 2,000 calls over both transports (the web WebSocket and the
// Electron IPC handler layer) covers every method and field with path tricks, prototype keys,
// huge and negative numbers, null, extra fields and binary frames with lying headers. Nothing
// outside the state directory and the chosen storage may change; the server must keep serving.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIpc, type IpcInvokeEvent, type IpcMainLike } from '../../electron/ipc';
import { isOwnPage, PAGE_URL } from '../../electron/ipc/page';
import { createEmulator } from '../../electron/control/emulator';
import type { EmulatorControl } from '../../electron/control/types';
import { createService, type BlksnapService } from '../../electron/service';
import { startWebServer, type WebServer } from '../../electron/web/server';
import { API, type ApiMethod } from '../../shared/contract';
import { seededRandom } from '../../shared/random';
import { encodeFrame, IPC } from '../../shared/wire';
import { lyingRuns, openRawSocket, rawFrame, type RawSocket } from './rawSocket';

const SEED = 0x135ec;
const WS_CALLS = 1300;
const IPC_CALLS = 900;
const MiB = 2 ** 20;

let root: string;
let stateDir: string;
let storageDir: string;
let sentinelDir: string;
let emu: EmulatorControl;
let service: BlksnapService;
let server: WebServer;
let socket: RawSocket;
const handlers = new Map<string, (event: IpcInvokeEvent, ...args: unknown[]) => unknown>();

/** Every sentinel: kind, size, mode, content hash or link target. */
function snapshotTree(dir: string, skip: (p: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (skip(p)) continue;
      const st = fs.lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[p] = `link ${fs.readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[p] = `dir ${mode}`;
        walk(p);
      } else if (st.isFile()) out[p] = `file ${mode} ${st.size} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
      else out[p] = `special ${mode} ${st.rdev} ${st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'chr' : st.isBlockDevice() ? 'blk' : 'other'}`;
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-sentinel-'));
  stateDir = path.join(root, 'state');
  storageDir = path.join(root, 'storage');
  sentinelDir = path.join(root, 'sentinels');
  for (const d of [stateDir, storageDir, sentinelDir]) fs.mkdirSync(d, { mode: 0o700 });
  // Outside the state directory: data files, symlinks to them and to directories, a FIFO, a device.
  fs.writeFileSync(path.join(sentinelDir, 'passwd'), fs.readFileSync('/etc/passwd'));
  fs.writeFileSync(path.join(sentinelDir, 'big.img'), Buffer.alloc(3 * MiB, 0x5a));
  fs.writeFileSync(path.join(sentinelDir, 'world-readable'), 'keep me\n', { mode: 0o644 });
  fs.symlinkSync(path.join(sentinelDir, 'passwd'), path.join(sentinelDir, 'link-to-passwd'));
  fs.symlinkSync(sentinelDir, path.join(sentinelDir, 'link-to-dir'));
  fs.symlinkSync('/etc/shadow', path.join(sentinelDir, 'link-to-shadow'));
  fs.symlinkSync(path.join(sentinelDir, 'nothing-here'), path.join(sentinelDir, 'dangling'));
  execFileSync('mkfifo', [path.join(sentinelDir, 'fifo')]);
  try {
    execFileSync('mknod', [path.join(sentinelDir, 'chardev'), 'c', '1', '3'], { stdio: 'pipe' });
  } catch {
    console.log('sentinel-fuzz: mknod not allowed here (needs root); the character-device sentinel is left out, /dev/null stands in for it');
  }
  emu = await createEmulator({ stateDir, hz: 1000, parameters: { diff_storage_minimum: 8192 } });
  await emu.createDevice('disk0', 8 * MiB);
  await emu.createDevice('disk1', 8 * MiB);
  await emu.attach('/dev/disk0');
  await emu.write('/dev/disk0', 0, new Uint8Array(MiB).fill(7));
  // Inside the state directory: a file of the user's that the app must not touch either.
  fs.writeFileSync(path.join(stateDir, 'users-notes.txt'), 'not the app\'s\n');
  service = createService(emu, { dataDir: stateDir, pollIntervalMs: 200, fillSampleIntervalMs: 200, pushBatchMs: 20 });
  server = await startWebServer({ service, staticDir: '/nonexistent' });
  socket = await openRawSocket(server.port, server.token);
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => void handlers.set(channel, listener),
    removeHandler: (channel) => void handlers.delete(channel),
  };
  registerIpc({ ipcMain, service, isOwnPage });
});

afterAll(async () => {
  socket?.close();
  await server?.close();
  await service?.close();
  await emu?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function pathTricks(): string[] {
  const s = sentinelDir;
  return [
    `${s}/passwd`, `${s}/big.img`, `${s}/world-readable`, `${s}/link-to-passwd`, `${s}/link-to-dir`, `${s}/link-to-shadow`, `${s}/dangling`,
    `${s}/fifo`, `${s}/chardev`, `${s}/../sentinels/passwd`, `${s}/link-to-dir/passwd`, `${s}/link-to-dir/../sentinels/big.img`, `${storageDir}/../sentinels/passwd`,
    `${stateDir}/users-notes.txt`, `${stateDir}/state.json`, `${stateDir}/devices/disk0.0`, `${stateDir}`, '/etc/passwd', '/dev/../etc/passwd', '/proc/self/mem',
    '/proc/self/fd/0', '/sys/kernel/notes', '/dev/', '/dev/..', '/', '/dev/null', '/dev/zero', '/dev/disk0', '/dev/disk1', '/dev/disk0/../disk1',
    'relative', '', '\0', `${s}/passwd\0`, `${s}/./passwd`, `${s}//passwd`, storageDir, `${storageDir}/new-${Math.random().toString(36).slice(2)}`,
  ];
}

const HOSTILE: unknown[] = [
  null, undefined, true, 0, -1, -0, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 60, -(2 ** 53), Number.MAX_SAFE_INTEGER, 1e308, -1e308, 'x'.repeat(5000),
  [], [null], {}, { $bin: 0 }, { __proto__: { polluted: true } }, JSON.parse('{"__proto__":{"polluted":true}}'), JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
  'toString', '__proto__', 'constructor', new Uint8Array(3),
];

function templates(): Record<string, Record<string, unknown>> {
  const id = '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b';
  return {
    attach: { device: '/dev/disk1' }, detach: { device: '/dev/disk0', force: false }, cbtInfo: { device: '/dev/disk0' }, cbtMap: { device: '/dev/disk0' },
    markDirty: { device: '/dev/disk0', ranges: [{ offsetSectors: 0, countSectors: 8 }] },
    exportChangedRanges: { device: '/dev/disk0', sinceChangeNumber: 0, format: 'json' },
    snapshotCreate: { diffStoragePath: storageDir, diffStorageLimitSectors: 16 * 2048, devices: ['/dev/disk0'] },
    snapshotAdd: { id, device: '/dev/disk1' }, snapshotTake: { id }, snapshotDestroy: { id }, fillHistory: { id }, eventHistory: { limit: 5 },
    waitEvent: { id, timeoutTicks: 0 }, emuCreateDevice: { name: 'fz', sizeBytes: MiB }, emuRemoveDevice: { name: 'fz' },
    emuWrite: { path: '/dev/disk0', offsetBytes: 0, data: new Uint8Array(4096).fill(3) }, emuRead: { path: '/dev/disk0', offsetBytes: 0, lengthBytes: 4096 },
    workloadStart: { device: '/dev/disk0', pattern: 'uniform', blockSizeBytes: 4096, rateBytesPerSec: 1_000_000, durationMs: 50, seed: 1 },
    workloadStop: { id: 'w1' },
  };
}

/** One fuzzed call: a method (sometimes not one) and arguments with one or more hostile parts. */
function fuzzCall(random: () => number, snapshotIds: string[]): { method: unknown; args: unknown } {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const methods = Object.keys(API) as ApiMethod[];
  const r = random();
  if (r < 0.05) return { method: pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'close', 'subscribe', '', null, 42, ['attach']]), args: {} };
  const method = pick(methods);
  const base: Record<string, unknown> = { ...(templates()[method] ?? {}) };
  if ('id' in base && snapshotIds.length > 0 && random() < 0.7) base.id = pick(snapshotIds);
  const keys = Object.keys(base);
  const mutations = 1 + Math.floor(random() * 2);
  for (let m = 0; m < mutations; m++) {
    const c = random();
    const key = keys.length > 0 ? pick(keys) : 'x';
    if (c < 0.35) base[key] = pick(pathTricks());
    else if (c < 0.6) base[key] = pick(HOSTILE);
    else if (c < 0.7) base[pick(['forse', 'extra', '__proto__', 'constructor', 'force', 'forceStorageDevice'])] = pick([true, 1, {}, 'yes']);
    else if (c < 0.75) delete base[key];
    else if (c < 0.8) return { method, args: pick([null, 42, 'args', [base], true]) };
    else if (c < 0.85 && method === 'snapshotCreate') base.diffStoragePath = pick(pathTricks());
    // else: leave the template (valid calls keep the service busy doing real work)
  }
  if (method === 'workloadStart' && typeof base.durationMs === 'number' && base.durationMs > 200) base.durationMs = 200;
  if (method === 'waitEvent' && typeof base.timeoutTicks === 'number' && base.timeoutTicks > 10) base.timeoutTicks = 0;
  return { method, args: base };
}

/** Binary frames whose headers lie about their payloads. */
function lyingFrame(random: () => number, id: number): Uint8Array {
  const call = (method: string) => ({ t: 'call', id, method, args: { path: '/dev/disk0', offsetBytes: 0, data: { $bin: 0 } } });
  const frames = [
    () => rawFrame({ m: call('emuWrite'), b: [150], r: [256 * MiB] }, lyingRuns(30, 256 * MiB)),
    () => rawFrame({ m: call('emuWrite'), b: [10], r: [2 ** 40] }, lyingRuns(2, 2 ** 31)),
    () => rawFrame({ m: call('emuWrite'), b: [5], r: [-1] }, lyingRuns(1, 4096)),
    () => rawFrame({ m: call('emuWrite'), b: [2 ** 40] }, [1, 2, 3]),
    () => rawFrame({ m: call('backendInfo'), b: [5], r: [4096] }, lyingRuns(1, 4096)),
    () => rawFrame({ m: call('emuWrite'), b: [5], r: [8192] }, lyingRuns(1, 4096)),
    () => rawFrame({ m: { ...call('emuWrite'), args: { data: { $bin: 7 } } }, b: [3] }, [1, 2, 3]),
    () => rawFrame({ m: call('emuWrite'), b: ['5'] }, [1, 2, 3, 4, 5]),
    () => rawFrame({ m: JSON.parse('{"__proto__":{"polluted":true},"t":"call","id":1,"method":"backendInfo"}'), b: [] }, []),
  ];
  return frames[Math.floor(random() * frames.length)]!();
}

describe('sentinel tree under a seeded fuzz of both transports', () => {
  it(`${WS_CALLS + IPC_CALLS} calls change nothing outside the state directory and the chosen storage, and the server keeps serving`, async () => {
    const before = snapshotTree(sentinelDir);
    const passwd = createHash('sha256').update(fs.readFileSync('/etc/passwd')).digest('hex');
    const stateNotes = fs.readFileSync(path.join(stateDir, 'users-notes.txt'), 'utf8');
    const rssBefore = process.memoryUsage().rss;
    const random = seededRandom(SEED);
    const snapshotIds: string[] = [];
    const methodsSeen = new Set<unknown>();
    let answered = 0;
    let id = 1;

    for (let i = 0; i < WS_CALLS; i++) {
      const frame = random() < 0.08 ? lyingFrame(random, id) : (() => {
        const { method, args } = fuzzCall(random, snapshotIds);
        methodsSeen.add(method);
        return encodeFrame({ t: 'call', id, method, args });
      })();
      id++;
      const answer = await socket.exchange(frame, 15_000);
      answered++;
      expect(['result', 'error']).toContain(answer.t);
      const result = answer.result as { id?: unknown } | undefined;
      if (answer.ok === true && typeof result?.id === 'string' && /^[0-9a-f-]{36}$/.test(result.id)) snapshotIds.push(result.id);
    }

    const sender = { id: 1, send: () => undefined, isDestroyed: () => false, once: () => undefined };
    const event: IpcInvokeEvent = { senderFrame: { url: PAGE_URL }, sender };
    for (let i = 0; i < IPC_CALLS; i++) {
      const { method, args } = fuzzCall(random, snapshotIds);
      methodsSeen.add(method);
      const handler = typeof method === 'string' ? handlers.get(IPC.callPrefix + method) : undefined;
      if (!handler) continue; // an unknown method has no IPC channel at all
      const outcome = (await handler(event, structuredClone(args))) as { ok: boolean; result?: { id?: unknown } };
      answered++;
      expect(typeof outcome.ok).toBe('boolean');
      if (outcome.ok && typeof outcome.result?.id === 'string') snapshotIds.push(outcome.result.id);
    }

    // Stop what the fuzz started, then compare.
    for (const w of await service.workloadList({})) if (w.running) await service.workloadStop({ id: w.id });
    for (const snapshotId of await emu.snapshotCollect()) await emu.snapshotDestroy(snapshotId).catch(() => undefined);
    const growthMiB = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(`sentinel fuzz: ${answered} calls answered (${WS_CALLS} WebSocket frames, IPC the rest), ${methodsSeen.size} methods, `
      + `${snapshotIds.length} snapshots created on the chosen storage; RSS growth ${growthMiB.toFixed(1)} MiB`);
    for (const m of Object.keys(API)) expect(methodsSeen.has(m), `method ${m} was fuzzed`).toBe(true);
    expect(answered).toBeGreaterThanOrEqual(2000);
    expect(snapshotTree(sentinelDir)).toEqual(before);
    expect(createHash('sha256').update(fs.readFileSync('/etc/passwd')).digest('hex')).toBe(passwd);
    expect(fs.readFileSync(path.join(stateDir, 'users-notes.txt'), 'utf8')).toBe(stateNotes);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(growthMiB).toBeLessThan(512);
    // Still serving on the same socket.
    expect(await socket.exchange(encodeFrame({ t: 'call', id: 10 ** 7, method: 'backendInfo', args: {} }))).toMatchObject({ ok: true });
  }, 300_000);
});
