// blksnapctl talking to a running app (the web transport) found through runtime.json, instead of
// failing on the emulator directory the app owns.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootService, type Booted } from '../../../electron/app/boot';
import { runningApp } from '../../../electron/cli/connect';
import { startWebServer, type WebServer } from '../../../electron/web/server';
import { cli, type CliRun } from './harness';

let dir: string;
let stateDir: string;
let booted: Booted;
let server: WebServer;

function run(...argv: string[]): Promise<CliRun> {
  return cli(['--emulator-dir', stateDir, ...argv], { env: {} });
}

async function ok(...argv: string[]): Promise<CliRun> {
  const r = await run(...argv);
  if (r.code !== 0) throw new Error(`blksnapctl ${argv.join(' ')} failed: ${r.stderr}`);
  return r;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-remote-'));
  stateDir = join(dir, 'state');
  booted = await bootService({ emulatorDir: stateDir, backend: 'emulator', dialect: null, emulate: 'upstream' });
  server = await startWebServer({ service: booted.service, staticDir: dir });
  writeFileSync(join(stateDir, 'runtime.json'), JSON.stringify({ pid: process.pid, url: server.url, token: server.token, port: server.port }));
});

afterEach(async () => {
  await server.close();
  await booted.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('blksnapctl with a running app', () => {
  it('finds the app from runtime.json while its process lives', () => {
    expect(runningApp(stateDir)).toMatchObject({ pid: process.pid, port: server.port });
    writeFileSync(join(stateDir, 'runtime.json'), JSON.stringify({ pid: 2 ** 22 + 12345, url: server.url, token: 't', port: 1 }));
    expect(runningApp(stateDir)).toBeNull();
    writeFileSync(join(stateDir, 'runtime.json'), '{not json');
    expect(runningApp(stateDir)).toBeNull();
  });

  it('runs the lifecycle through the web transport; the app sees every change', async () => {
    await ok('emu_create', '--name', 'disk0', '--size', '16M');
    expect((await booted.service.listDevices({})).map((d) => d.path)).toEqual(['/dev/disk0']);
    expect((await ok('attach', '-d', '/dev/disk0')).lines).toEqual(['Attached successfully']);
    const id = (await ok('snapshot_create', '-f', dir, '-l', '1G', '-d', '/dev/disk0')).lines[0]!;
    await ok('snapshot_take', '-i', id);
    expect((await booted.service.listSnapshots({})).map((s) => [s.id, s.taken])).toEqual([[id, true]]);

    writeFileSync(join(dir, 'data'), Buffer.alloc(64 * 1024, 0x5a));
    await ok('emu_write', '-d', '/dev/disk0', '-o', '0', '-f', join(dir, 'data'));
    await ok('emu_read', '-d', '/dev/disk0', '-o', '0', '-l', '64K', '--out', join(dir, 'back'));
    expect(readFileSync(join(dir, 'back'))).toEqual(Buffer.alloc(64 * 1024, 0x5a));

    await ok('readcbtmap', '-d', '/dev/disk0', '-f', join(dir, 'map'));
    const info = (await ok('cbtinfo', '-d', '/dev/disk0')).lines;
    expect(readFileSync(join(dir, 'map')).length).toBe(Number(info[2]!.split('=')[1]));
    expect((await ok('snapshot_collect')).stdout).toBe(`${id} \n\n`);
    await ok('snapshot_destroy', '-i', id);
    expect(await booted.service.listSnapshots({})).toEqual([]);
  });

  it('notes that --emulate and --backend are the app\'s to choose', async () => {
    const r = await run('--emulate', 'v1', 'version');
    expect(r.lines).toEqual(['2.0.0.0']);
    expect(r.stderr).toBe(`blksnapctl: the running blksnap Manager (pid ${process.pid}) owns ${stateDir}; its backend applies and --emulate is ignored\n`);
  });

  it('passes the app\'s errors through unchanged', async () => {
    const r = await run('snapshot_destroy', '-i', '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^blksnapctl: .*ENODEV/);
  });

  it('says so when the token in runtime.json is wrong', async () => {
    writeFileSync(join(stateDir, 'runtime.json'), JSON.stringify({ pid: process.pid, url: server.url, token: 'wrong', port: server.port }));
    const r = await run('version');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused the token.*EAUTH/);
  });
});
