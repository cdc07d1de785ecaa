import { afterEach, describe, expect, it } from 'vitest';
import { registerIpc, type IpcInvokeEvent, type IpcMainLike, type IpcSender } from '../../../electron/ipc';
import { isOwnPage, PAGE_URL } from '../../../electron/ipc/page';
import { createService, type BlksnapService } from '../../../electron/service';
import { API, type DeviceSummary } from '../../../shared/contract';
import { IPC, type BlksnapBridge, type CallOutcome } from '../../../shared/wire';
import { BlksnapError } from '../../../shared/errors';
import { createIpcApi } from '../../../renderer/api/ipc';
import { FakeControl } from '../service/fakeControl';

type Handler = (event: IpcInvokeEvent, ...args: unknown[]) => unknown;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, listener: Handler) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  /** What ipcRenderer.invoke would get (Electron structured-clones the value). */
  async invoke(event: IpcInvokeEvent, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return structuredClone(await handler(event, ...args));
  }
}

class FakeSender implements IpcSender {
  static next = 1;
  readonly id = FakeSender.next++;
  readonly sent: Array<{ channel: string; args: unknown[] }> = [];
  private destroyedListeners: Array<() => void> = [];
  destroyed = false;
  send(channel: string, ...args: unknown[]) {
    this.sent.push({ channel, args: structuredClone(args) });
  }
  isDestroyed() {
    return this.destroyed;
  }
  once(_event: 'destroyed', listener: () => void) {
    this.destroyedListeners.push(listener);
  }
  destroy() {
    this.destroyed = true;
    for (const l of this.destroyedListeners.splice(0)) l();
  }
}

function eventFrom(url: string | null, sender = new FakeSender()): IpcInvokeEvent {
  return { senderFrame: url === null ? null : { url }, sender };
}

let service: BlksnapService | null = null;
afterEach(async () => {
  await service?.close();
  service = null;
});

function setup() {
  const control = new FakeControl();
  control.addDevice('vda', 64 * 2 ** 20, true);
  service = createService(control, { pollIntervalMs: 20, fillSampleIntervalMs: 20, pushBatchMs: 5, dataDir: null });
  const ipcMain = new FakeIpcMain();
  const unregister = registerIpc({ ipcMain, service, isOwnPage });
  return { control, ipcMain, unregister };
}

describe('IPC handlers', () => {
  it('registers one handler per contract method, plus subscribe and unsubscribe', () => {
    const { ipcMain, unregister } = setup();
    for (const method of Object.keys(API)) expect(ipcMain.handlers.has(IPC.callPrefix + method)).toBe(true);
    expect(ipcMain.handlers.has(IPC.subscribe)).toBe(true);
    expect(ipcMain.handlers.size).toBe(Object.keys(API).length + 2);
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('answers our own page, with binary CBT maps as Uint8Array', async () => {
    const { ipcMain } = setup();
    const own = eventFrom(PAGE_URL);
    const info = (await ipcMain.invoke(own, `${IPC.callPrefix}backendInfo`, {})) as CallOutcome;
    expect(info).toMatchObject({ ok: true, result: { kind: 'emulator' } });
    const map = (await ipcMain.invoke(own, `${IPC.callPrefix}cbtMap`, { device: '/dev/vda' })) as CallOutcome;
    expect(map.ok && map.result).toBeInstanceOf(Uint8Array);
    expect(map.ok && (map.result as Uint8Array).byteLength).toBe(1024);
  });

  it('refuses frames that are not our page, before the service sees anything', async () => {
    const { ipcMain, control } = setup();
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'app://blksnapevil/index.html', 'devtools://devtools/', null]) {
      const outcome = (await ipcMain.invoke(eventFrom(url), `${IPC.callPrefix}attach`, { device: '/dev/vda' })) as CallOutcome;
      expect(outcome).toMatchObject({ ok: false, error: { code: 'EAUTH' } });
      const sub = (await ipcMain.invoke(eventFrom(url), IPC.subscribe, 'devices')) as CallOutcome;
      expect(sub.ok).toBe(false);
    }
    expect(control.log).toEqual([]);
  });

  it('answers malformed arguments with EBADARG naming the field', async () => {
    const { ipcMain, control } = setup();
    const own = eventFrom(PAGE_URL);
    const cases: Array<[string, unknown, string]> = [
      ['attach', { device: 7 }, 'device'],
      ['attach', undefined, 'device'],
      ['markDirty', { device: '/dev/vda', ranges: [{ offsetSectors: 0, countSectors: 0 }] }, 'ranges.0.countSectors'],
      ['snapshotDestroy', { id: 'not-a-uuid' }, 'id'],
      ['snapshotCreate', { diffStoragePath: '/tmp', diffStorageLimitSectors: -1, devices: [] }, 'diffStorageLimitSectors'],
      ['backendInfo', { extra: true }, '(arguments)'],
    ];
    for (const [method, args, field] of cases) {
      const outcome = (await ipcMain.invoke(own, IPC.callPrefix + method, args)) as CallOutcome;
      expect(outcome.ok, method).toBe(false);
      if (!outcome.ok) {
        expect(outcome.error.code).toBe('EBADARG');
        expect(outcome.error.details?.field, method).toBe(field);
      }
    }
    expect(control.log).toEqual([]);
  });

  it('pushes subscribed topics to the subscribing page and stops when it goes away', async () => {
    const { ipcMain } = setup();
    const sender = new FakeSender();
    const own = eventFrom(PAGE_URL, sender);
    expect(await ipcMain.invoke(own, IPC.subscribe, 'devices')).toEqual({ ok: true, result: null });
    expect(await ipcMain.invoke(own, IPC.subscribe, 'nonsense')).toMatchObject({ ok: false, error: { code: 'EBADARG', details: { field: 'topic' } } });
    await expect.poll(() => sender.sent.length).toBeGreaterThan(0);
    expect(sender.sent[0]!.channel).toBe(IPC.push);
    expect(sender.sent[0]!.args[0]).toBe('devices');
    sender.destroy();
    const count = sender.sent.length;
    await service!.attach({ device: '/dev/vda' }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 60));
    expect(sender.sent.length).toBe(count);
  });

  it('carries the typed renderer API over the preload bridge', async () => {
    const { ipcMain } = setup();
    const sender = new FakeSender();
    const own = eventFrom(PAGE_URL, sender);
    const listeners = new Map<string, Set<(p: unknown) => void>>();
    const bridge: BlksnapBridge = {
      invoke: (method, args) => ipcMain.invoke(own, IPC.callPrefix + method, args) as Promise<CallOutcome>,
      subscribe(topic, listener) {
        const set = listeners.get(topic) ?? new Set();
        listeners.set(topic, set);
        set.add(listener);
        void ipcMain.invoke(own, IPC.subscribe, topic);
        return () => set.delete(listener);
      },
    };
    const origSend = sender.send.bind(sender);
    sender.send = (channel, ...args) => {
      origSend(channel, ...args);
      for (const l of listeners.get(args[0] as string) ?? []) l(args[1]);
    };
    const { api, push, transport } = createIpcApi(bridge);
    expect(transport).toBe('ipc');
    const pushes: DeviceSummary[][] = [];
    push.subscribe('devices', (d) => pushes.push(d));
    const devices = await api.listDevices({});
    expect(devices[0]!.path).toBe('/dev/vda');
    await expect.poll(() => pushes.length).toBeGreaterThan(0);
    const err = await api.cbtInfo({ device: '/dev/none' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlksnapError);
    expect((err as BlksnapError).code).toBe('ENOENT');
  });
});

describe('IPC round trip against the emulator', () => {
  it('runs the snapshot lifecycle through the renderer client, the bridge and the handlers', async () => {
    const { testEmulator } = await import('../web/emulator');
    const emulator = await testEmulator();
    const svc = createService(emulator.emu, { dataDir: null, pushBatchMs: 5 });
    const ipcMain = new FakeIpcMain();
    registerIpc({ ipcMain, service: svc, isOwnPage });
    const own = eventFrom(PAGE_URL);
    const bridge: BlksnapBridge = {
      invoke: (method, args) => ipcMain.invoke(own, IPC.callPrefix + method, args) as Promise<CallOutcome>,
      subscribe: () => () => undefined,
    };
    const { api } = createIpcApi(bridge);
    try {
      const device = await api.emuCreateDevice({ name: 'disk0', sizeBytes: 16 * 2 ** 20 });
      await api.attach({ device: device.path });
      await api.emuWrite({ path: device.path, offsetBytes: 0, data: new Uint8Array(65536).fill(5) });
      const { id } = await api.snapshotCreate({ diffStoragePath: emulator.storageDir, diffStorageLimitSectors: 32768, devices: [device.path] });
      await api.snapshotTake({ id });
      const map = await api.cbtMap({ device: device.path });
      expect(map).toBeInstanceOf(Uint8Array);
      expect(map[0]).toBe(1);
      const [snapshot] = await api.listSnapshots({});
      for (const [method, value] of [['listSnapshots', [snapshot]], ['cbtMap', map]] as const) {
        expect(API[method].result.safeParse(value).success).toBe(true);
      }
      const read = await api.emuRead({ path: device.path, offsetBytes: 0, lengthBytes: 4096 });
      expect(read.every((b) => b === 5)).toBe(true);
      await api.snapshotDestroy({ id });
      expect(await api.listSnapshots({})).toEqual([]);
    } finally {
      await svc.close();
      await emulator.dispose();
    }
  });
});
