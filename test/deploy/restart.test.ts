// Stop and start the service: the URL with the stored token still works, blksnapctl (default
// options, state directory from the environment as an admin's shell has it) still finds the
// service, and the snapshot and its fill history are still listed. Then `blksnapctl token
// rotate`: the old token stops working at once, the new one works, without a restart.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, cleanEnv, connectTo, root, startService, type ServiceProcess } from './service';

const MiB = 2 ** 20;
let dir: string;
let env: NodeJS.ProcessEnv;
let service: ServiceProcess | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'blksnap-restart-'));
  env = cleanEnv({ XDG_STATE_HOME: dir });
  await buildBundles();
}, 60_000);

afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function blksnapctl(...argv: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'blksnapctl.cjs'), ...argv], { encoding: 'utf8', timeout: 30_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A GET on a fresh connection: a kept-alive one may belong to the service stopped before. */
const status = (url: string) => new Promise<number>((resolve, reject) => {
  get(url, { agent: false }, (res) => {
    res.resume();
    resolve(res.statusCode ?? 0);
  }).on('error', reject);
});

describe('blksnap-manager serve across a restart', () => {
  it('keeps its URL, token, snapshots and fill history, and blksnapctl finds it', async () => {
    const stateDir = join(dir, 'blksnap-manager');
    const emulatorDir = join(stateDir, 'emulator');
    service = await startService(['--port', '0', '--metrics-listen', 'off'], env);
    const tokenFile = join(stateDir, 'token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const port = service.uiPort;

    const first = await connectTo(emulatorDir);
    const device = await first.api.emuCreateDevice({ name: 'disk1', sizeBytes: 16 * MiB });
    await first.api.attach({ device: device.path });
    const { id } = await first.api.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 32 * 2048, devices: [device.path] });
    await first.api.snapshotTake({ id });
    await first.api.emuWrite({ path: device.path, offsetBytes: 0, data: new Uint8Array(2 * MiB).fill(0x5a) });
    await expect.poll(async () => (await first.api.fillHistory({ id })).some((s) => (s.usedBytes ?? 0) > 0), { timeout: 30_000 }).toBe(true); // the next fill sample: seconds on a loaded machine
    const before = await first.api.fillHistory({ id });
    await first.close();
    expect(await service.stop()).toBe(0);

    // Same port (as the unit's fixed default would give), same state directory.
    service = await startService(['--port', String(port), '--metrics-listen', 'off'], env);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
    expect(await status(`http://127.0.0.1:${port}/metrics?token=${token}`)).toBe(200);
    expect(await status(`http://127.0.0.1:${port}/metrics?token=${'0'.repeat(64)}`)).toBe(401);

    const second = await connectTo(emulatorDir);
    expect((await second.api.listSnapshots({})).map((s) => s.id)).toContain(id);
    const after = await second.api.fillHistory({ id });
    expect(after.length).toBeGreaterThanOrEqual(before.length);
    expect(after.slice(0, before.length)).toEqual(before);
    await second.close();

    // blksnapctl with no options: its default state directory is the service's (were it not
    // talking to the service, the emulator directory's lock would refuse it).
    const collected = blksnapctl('snapshot_collect');
    expect(collected.code, collected.stderr).toBe(0);
    expect(collected.stdout.trim()).toBe(id);
    const shown = blksnapctl('token', 'show');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(`${token}\n`);
    expect(shown.stderr).toContain(`http://127.0.0.1:${port}/?token=${token}`);
  }, 150_000); // two service starts, blksnapctl runs: each takes seconds on a loaded machine

  it('rotates the token without a restart: the old one is refused, the new one accepted', async () => {
    const old = blksnapctl('token', 'show').stdout.trim();
    const port = service!.uiPort;
    const rotated = blksnapctl('token', 'rotate', '--json');
    expect(rotated.code).toBe(0);
    const result = JSON.parse(rotated.stdout) as { token: string; reloaded: boolean; pid: number };
    expect(result).toMatchObject({ reloaded: true, pid: service!.child.pid });
    expect(result.token).toMatch(/^[0-9a-f]{64}$/);
    expect(result.token).not.toBe(old);
    expect(await status(`http://127.0.0.1:${port}/metrics?token=${old}`)).toBe(401);
    expect(await status(`http://127.0.0.1:${port}/metrics?token=${result.token}`)).toBe(200);
    expect(service!.log.some((l) => l.includes('SIGHUP: token reloaded'))).toBe(true);
    expect(blksnapctl('token', 'frobnicate')).toMatchObject({ code: 1, stderr: 'token: "frobnicate" is not an action (show or rotate)\n' });
  }, 90_000); // four blksnapctl runs
});
