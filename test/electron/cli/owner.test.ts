// The process that owns the module serves the others (issue 19, items 8 and 9): blksnapctl
// --backend kernel goes through a running app on the kernel backend instead of booting a second
// service (two pumps would drain one module event queue), and a process that serves others ends
// only after the calls it carries for them have completed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectRemote } from '../../../electron/cli/remote';
import { createService, type BlksnapService } from '../../../electron/service';
import { shareService } from '../../../electron/web/runtime';
import { startWebServer, type WebServer } from '../../../electron/web/server';
import { FakeControl } from '../service/fakeControl';
import { cli } from './harness';

let dir: string;
let stateDir: string;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-owner-'));
  stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function app(kind: 'kernel' | 'emulator'): Promise<{ service: BlksnapService; server: WebServer }> {
  const control = new FakeControl(kind);
  const service = createService(control, { dataDir: null, pollIntervalMs: 60_000 });
  const server = await startWebServer({ service, staticDir: dir });
  writeFileSync(join(stateDir, 'runtime.json'), JSON.stringify({ pid: process.pid, url: server.url, token: server.token, port: server.port }));
  cleanup.push(async () => {
    await server.close();
    await service.close();
  });
  return { service, server };
}

describe('blksnapctl --backend kernel with a running app', () => {
  it('talks to the app that owns the module, with the note the README promises (item 8)', async () => {
    await app('kernel');
    const r = await cli(['--emulator-dir', stateDir, '--backend', 'kernel', 'version', '--json'], { env: {} });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.lines[0] ?? '{}')).toMatchObject({ backend: 'kernel' });
    expect(r.stderr).toBe(`blksnapctl: the running blksnap Manager (pid ${process.pid}) owns the blksnap module; its backend applies and --backend is ignored\n`);
  });

  it('does not take an app on the emulator for the module\'s owner', async () => {
    await app('emulator');
    const r = await cli(['--emulator-dir', stateDir, '--backend', 'kernel', 'version', '--json'], { env: {} });
    // Booted here instead: on this machine either the module answers or the backend cannot start.
    if (r.code === 0) expect(JSON.parse(r.lines[0] ?? '{}')).toMatchObject({ backend: 'kernel' });
    else expect(r.stderr).toMatch(/EBACKEND|no usable blksnap module/);
    expect(r.stderr).not.toMatch(/running blksnap Manager/);
  });
});

/** A service over a fake emulator with one device, /dev/disk0, closed after the test. */
function serviceWithDisk(bytes: number): BlksnapService {
  const control = new FakeControl('emulator');
  control.addDevice('disk0', bytes);
  const service = createService(control, { dataDir: null, pollIntervalMs: 60_000 });
  cleanup.push(() => service.close());
  return service;
}

describe('a process serving others', () => {
  it('ends only after the write it carries for another run has landed in full (item 9)', async () => {
    const service = serviceWithDisk(4 * 2 ** 20);
    // A write that takes longer than any fixed grace period (64 MiB under TCG took seconds).
    let landed = 0;
    const slow = Object.assign(Object.create(service) as BlksnapService, {
      emuWrite: async (args: Parameters<BlksnapService['emuWrite']>[0]) => {
        await new Promise((r) => setTimeout(r, 1500));
        const result = await service.emuWrite(args);
        landed = args.data.length;
        return result;
      },
    });
    const unshare = await shareService(slow, stateDir);
    const { readFileSync } = await import('node:fs');
    const remote = await connectRemote(JSON.parse(readFileSync(join(stateDir, 'runtime.json'), 'utf8')));
    cleanup.push(() => remote.close());
    const data = new Uint8Array(2 ** 20).fill(0xab);
    const write = remote.api.emuWrite({ path: '/dev/disk0', offsetBytes: 0, data });
    await new Promise((r) => setTimeout(r, 100));
    // The watcher saw `corrupted` and ends while the write is in progress.
    const ended = unshare().then(() => landed);
    await expect(write).resolves.toEqual({ ok: true });
    expect(await ended).toBe(2 ** 20);
  });

  it('serves a write sent in pieces to its last piece, though the pieces outlast any one grace period (item 9, emu_write)', async () => {
    const service = serviceWithDisk(8 * 2 ** 20);
    // Each piece takes 300 ms and the next is sent 200 ms after the answer: 6 pieces take ~3 s,
    // far past the 0.5 s grace, but no pause between two pieces reaches it.
    const slow = Object.assign(Object.create(service) as BlksnapService, {
      emuWrite: async (args: Parameters<BlksnapService['emuWrite']>[0]) => {
        await new Promise((r) => setTimeout(r, 300));
        return service.emuWrite(args);
      },
    });
    const unshare = await shareService(slow, stateDir);
    const { readFileSync } = await import('node:fs');
    const remote = await connectRemote(JSON.parse(readFileSync(join(stateDir, 'runtime.json'), 'utf8')));
    cleanup.push(() => remote.close());
    const piece = new Uint8Array(2 ** 20).fill(0xcd);
    const pieces = (async () => {
      for (let i = 0; i < 6; i++) {
        await remote.api.emuWrite({ path: '/dev/disk0', offsetBytes: i * 2 ** 20, data: piece });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const ended = unshare();
    await expect(pieces).resolves.toBeUndefined();
    await ended;
  }, 20_000);

  it('serves a run that connected before the end and sends its first call later than the grace (item 9, a loaded machine)', async () => {
    const service = serviceWithDisk(4 * 2 ** 20);
    const unshare = await shareService(service, stateDir);
    const { readFileSync } = await import('node:fs');
    const remote = await connectRemote(JSON.parse(readFileSync(join(stateDir, 'runtime.json'), 'utf8')));
    cleanup.push(() => remote.close());
    // The watcher ends while this run is connected but has not called yet (1.5 s: three graces).
    let ended = false;
    const ending = unshare().then(() => { ended = true; });
    await new Promise((r) => setTimeout(r, 1500));
    expect(ended).toBe(false);
    const data = new Uint8Array(2 ** 20).fill(0x3c);
    await expect(remote.api.emuWrite({ path: '/dev/disk0', offsetBytes: 0, data })).resolves.toEqual({ ok: true });
    await remote.close();
    await ending;
    expect(Buffer.from(await service.emuRead({ path: '/dev/disk0', offsetBytes: 0, lengthBytes: 2 ** 20 })).every((b) => b === 0x3c)).toBe(true);
  }, 20_000);

  it('also serves a call another client starts while the drain waits for the first one (item 9, two clients)', async () => {
    const service = serviceWithDisk(8 * 2 ** 20);
    // The first write takes 1.5 s, the second 2 s: the second starts while the drain waits for the
    // first and outlasts the drain by more than the 0.5 s grace.
    const delays = [1500, 2000];
    const slow = Object.assign(Object.create(service) as BlksnapService, {
      emuWrite: async (args: Parameters<BlksnapService['emuWrite']>[0]) => {
        await new Promise((r) => setTimeout(r, delays.shift() ?? 0));
        return service.emuWrite(args);
      },
    });
    const unshare = await shareService(slow, stateDir);
    const { readFileSync } = await import('node:fs');
    const runtime = JSON.parse(readFileSync(join(stateDir, 'runtime.json'), 'utf8'));
    const [one, two] = [await connectRemote(runtime), await connectRemote(runtime)];
    cleanup.push(async () => { await one.close(); await two.close(); });
    const piece = new Uint8Array(2 ** 20).fill(0xef);
    const first = one.api.emuWrite({ path: '/dev/disk0', offsetBytes: 0, data: piece });
    await new Promise((r) => setTimeout(r, 100));
    const ended = unshare();
    await new Promise((r) => setTimeout(r, 100));
    const second = two.api.emuWrite({ path: '/dev/disk0', offsetBytes: 2 ** 20, data: piece });
    await expect(first).resolves.toEqual({ ok: true });
    await expect(second).resolves.toEqual({ ok: true });
    await ended;
    expect(Buffer.from(await service.emuRead({ path: '/dev/disk0', offsetBytes: 2 ** 20, lengthBytes: 2 ** 20 })).every((b) => b === 0xef)).toBe(true);
  }, 20_000);
});
