import { once } from 'node:events';
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { API, type ApiMethod, type DeviceSummary } from '../../../shared/contract';
import { BlksnapError } from '../../../shared/errors';
import { FAKE_MAJOR, FakeControl } from '../service/fakeControl';
import { startHarness, type Harness } from './harness';

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

function conforms<M extends ApiMethod>(method: M, result: unknown): void {
  const parsed = API[method].result.safeParse(result);
  if (!parsed.success) throw new Error(`${method} result does not match the contract: ${parsed.error.message}`);
}

describe('WebSocket transport round trip', () => {
  it('carries every kind of call with results that match the contract', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 128 * 2 ** 20);
    harness = await startHarness(control);
    const { api } = harness.connect();

    conforms('backendInfo', await api.backendInfo({}));
    conforms('parameters', await api.parameters({}));
    conforms('doctor', await api.doctor({}));
    conforms('attach', await api.attach({ device: '/dev/vda' }));
    const devices = await api.listDevices({});
    conforms('listDevices', devices);
    expect(devices[0]).toMatchObject({ path: '/dev/vda', tracked: true });
    const info = await api.cbtInfo({ device: '/dev/vda' });
    conforms('cbtInfo', info);
    conforms('markDirty', await api.markDirty({ device: '/dev/vda', ranges: [{ offsetSectors: 0, countSectors: 8 }] }));

    const map = await api.cbtMap({ device: '/dev/vda' });
    expect(map).toBeInstanceOf(Uint8Array);
    expect(map.byteLength).toBe(info.blockCount);
    expect(map[0]).toBe(1);

    const { id } = await api.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: 2048, devices: ['/dev/vda'] });
    conforms('snapshotTake', await api.snapshotTake({ id }));
    const snapshots = await api.listSnapshots({});
    conforms('listSnapshots', snapshots);
    expect(snapshots[0]).toMatchObject({ id, taken: true });
    conforms('fillHistory', await api.fillHistory({ id }));
    conforms('exportChangedRanges', await api.exportChangedRanges({ device: '/dev/vda', sinceChangeNumber: 0, format: 'csv' }));
    conforms('waitEvent', await api.waitEvent({ id, timeoutTicks: 0 }));
    conforms('snapshotDestroy', await api.snapshotDestroy({ id }));
    conforms('eventHistory', await api.eventHistory({ limit: 10 }));

    const data = new Uint8Array(4096).map((_, i) => i & 0xff);
    conforms('emuWrite', await api.emuWrite({ path: '/dev/vda', offsetBytes: 512, data }));
    const back = await api.emuRead({ path: '/dev/vda', offsetBytes: 512, lengthBytes: 4096 });
    expect(back).toEqual(data);
    conforms('emuCreateDevice', await api.emuCreateDevice({ name: 'vdz', sizeBytes: 2 ** 20 }));
    conforms('supportBundle', await api.supportBundle({}));
  });

  it('answers a malformed call with EBADARG naming the field and what was expected', async () => {
    harness = await startHarness(new FakeControl());
    const { api } = harness.connect();
    const bad = api.attach({ device: 42 } as unknown as { device: string });
    await expect(bad).rejects.toBeInstanceOf(BlksnapError);
    const err = (await bad.catch((e: unknown) => e)) as BlksnapError;
    expect(err.code).toBe('EBADARG');
    expect(err.details).toMatchObject({ field: 'device', expected: 'expected string', method: 'attach' });
  });

  it('answers a module error with its errno name', async () => {
    harness = await startHarness(new FakeControl());
    const { api } = harness.connect();
    const err = await api.cbtInfo({ device: '/dev/nothing' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOENT', operation: 'cbtinfo' });
  });

  it('pushes state to subscribers, the latest value first', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 2 ** 20);
    harness = await startHarness(control);
    await harness.service.refresh();
    await new Promise((r) => setTimeout(r, 50));
    const client = harness.connect();
    const pushes: DeviceSummary[][] = [];
    client.push.subscribe('devices', (d) => pushes.push(d));
    await client.ready;
    await expect.poll(() => pushes.length).toBeGreaterThanOrEqual(1);
    await client.api.attach({ device: '/dev/vda' });
    await expect.poll(() => pushes.at(-1)?.[0]?.tracked).toBe(true);
  });
});

describe('a WebSocket client that goes away', () => {
  it('does not leave a waitEvent behind to swallow the next event', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 2 ** 20, true);
    harness = await startHarness(control);
    // The service's own waits, to know when the first client's has begun and when it ended:
    // fixed sleeps raced the server's handling of the close on a loaded machine.
    const service = harness.service;
    const waits: Array<{ done: boolean }> = [];
    const original = service.waitEvent;
    // (args, context): the server passes the call's context (its abort signal) along.
    service.waitEvent = ((...call: unknown[]) => {
      const wait = { done: false };
      waits.push(wait);
      return (Reflect.apply(original, service, call) as ReturnType<typeof original>).finally(() => { wait.done = true; });
    }) as typeof original;
    const first = harness.connect();
    const { id } = await first.api.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    void first.api.waitEvent({ id, timeoutTicks: 250_000 }).catch(() => undefined);
    await expect.poll(() => waits.length).toBe(1);
    first.close();
    // The client went away: its wait (1000 s long) ends now, before any event exists.
    await expect.poll(() => waits[0]!.done, { timeout: 5000 }).toBe(true);
    control.pushEvent(id, { code: 0, kind: 'corrupted', device: { major: FAKE_MAJOR, minor: 0 }, errCode: 28, requestedSectors: null });
    const second = harness.connect();
    expect(await second.api.waitEvent({ id, timeoutTicks: 2500 })).toMatchObject({ kind: 'corrupted', errCode: 28 });
  });
});

describe('stopping the server', () => {
  // Ctrl+C with a page open: Chromium keeps a preconnected socket that has sent no request (not
  // "idle" to Node), and the stop waited for it until Node's header timeout (seen: 6 s and more).
  it('does not wait for a socket that sent no request, nor for a kept-alive one', async () => {
    harness = await startHarness(new FakeControl());
    const { port } = harness.server;
    const preconnected = connect(port, '127.0.0.1');
    await once(preconnected, 'connect');
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => get({ port, host: '127.0.0.1', path: '/app.js', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject));
    expect(status).toBe(200);
    const preconnectedClosed = once(preconnected, 'close');
    await harness.server.close();
    await preconnectedClosed;
    agent.destroy();
  }, 15_000);
});
