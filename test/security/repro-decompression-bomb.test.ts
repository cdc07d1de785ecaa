// Reproduction 3 of issue 13: about 20 run-length frames of ~150 bytes, each claiming 256 MiB
// decoded, took the server to 4.8 GB RSS and 13 s without answers. Now each is refused from its
// header alone (the method's maximum, the connection's byte budget), answered at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IO_BYTES } from '../../shared/contract';
import { encodeFrame } from '../../shared/wire';
import { startHarness, type Harness } from '../electron/web/harness';
import { testEmulator, type TestEmulator } from '../electron/web/emulator';
import { lyingRuns, openRawSocket, rawFrame } from './rawSocket';

const MiB = 2 ** 20;
let emulator: TestEmulator;
let harness: Harness;

beforeAll(async () => {
  emulator = await testEmulator();
  await emulator.emu.createDevice('disk0', 8 * MiB);
  harness = await startHarness(emulator.emu);
});
afterAll(async () => {
  await harness.close();
  await emulator.dispose();
});

const bomb = (id: number, method: string, claimed: number) =>
  rawFrame({ m: { t: 'call', id, method, args: { path: '/dev/disk0', offsetBytes: 0, data: { $bin: 0 } } }, b: [150], r: [claimed] }, lyingRuns(30, claimed));

describe('reproduction: decompression bomb', () => {
  it('20 run-length frames of 150 bytes claiming 256 MiB each are refused from their headers, fast, without the memory', async () => {
    const socket = await openRawSocket(harness.server.port, harness.server.token);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    for (let i = 1; i <= 20; i++) socket.ws.send(bomb(i, 'emuWrite', 256 * MiB));
    const answers = await socket.collect(20, 20_000); // a safety net: no decoding is what the RSS bound checks
    const elapsedMs = Date.now() - started;
    const growthMiB = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(`decompression bomb: 20 frames answered in ${elapsedMs} ms, RSS growth ${growthMiB.toFixed(1)} MiB`);
    for (const a of answers) {
      expect(a).toMatchObject({ t: 'result', ok: false, error: { code: 'EBADARG' } });
      expect(String((a.error as { message: string }).message)).toMatch(/claims 268435456 decoded bytes; at most 67108864/);
    }
    expect(answers.map((a) => a.id).sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(growthMiB).toBeLessThan(64);
    // Still serving.
    expect(await socket.exchange(encodeFrame({ t: 'call', id: 99, method: 'backendInfo', args: {} }))).toMatchObject({ ok: true });
    socket.close();
  });

  it('a method that takes no bytes gets no binary payload, not even a small one', async () => {
    const socket = await openRawSocket(harness.server.port, harness.server.token);
    const answer = await socket.exchange(rawFrame({ m: { t: 'call', id: 5, method: 'backendInfo', args: { x: { $bin: 0 } } }, b: [3] }, [1, 2, 3]));
    expect(answer).toMatchObject({ t: 'result', id: 5, ok: false, error: { code: 'EBADARG' } });
    const rle = await socket.exchange(rawFrame({ m: { t: 'call', id: 6, method: 'listDevices', args: { x: { $bin: 0 } } }, b: [5], r: [100] }, lyingRuns(1, 100)));
    expect(String((rle.error as { message: string }).message)).toMatch(/run-length payloads are not accepted/);
    socket.close();
  });

  it('one frame may not claim more than the method accepts (emuWrite: 64 MiB)', async () => {
    const socket = await openRawSocket(harness.server.port, harness.server.token);
    const answer = await socket.exchange(bomb(7, 'emuWrite', MAX_IO_BYTES + 1));
    expect(String((answer.error as { message: string }).message)).toMatch(/claims 67108865 decoded bytes; at most 67108864/);
    socket.close();
  });

  it('an honest run-length write the method accepts still goes through', async () => {
    const client = harness.connect();
    await client.api.emuWrite({ path: '/dev/disk0', offsetBytes: 0, data: new Uint8Array(4 * MiB).fill(0xcd) });
    const back = await client.api.emuRead({ path: '/dev/disk0', offsetBytes: 4 * MiB - 512, lengthBytes: 1024 });
    expect([back[0], back[511], back[512]]).toEqual([0xcd, 0xcd, 0]);
  });
});
