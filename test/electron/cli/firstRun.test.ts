// blksnapctl pieces a first-time admin scripts with: changed_ranges, readcbtmap --json, module
// parameters in version/doctor, the wrap warning, and progress bars only on a terminal.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlksnapApi } from '../../../shared/contract';
import type { CbtInfo } from '../../../shared/schemas';
import { runCli } from '../../../electron/cli/main';
import { loadProgressBar, progress, PROGRESS_DELAY_MS } from '../../../electron/cli/progress';
import { cli, fakeApi, fakeConnector } from './harness';

const GEN = '11111111-2222-4333-8444-555555555555';
const info = (changesNumber: number): CbtInfo => ({ deviceCapacityBytes: 8 * 65536, blockSizeBytes: 65536, blockCount: 8, generationId: GEN, changesNumber });
// Blocks 1-2 changed at 2, block 5 at 3, block 7 at 1.
const MAP = new Uint8Array([0, 2, 2, 0, 0, 3, 0, 1]);

function run(argv: string[], methods: Partial<BlksnapApi> = {}) {
  const api = fakeApi({ cbtInfo: async () => info(3), cbtMap: async () => MAP, ...methods });
  return cli(argv, { connect: fakeConnector(api), env: {} });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-first-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('changed_ranges', () => {
  it('prints the ranges and bytes since N as text (sector ranges, 128 sectors per 64 KiB block)', async () => {
    const r = await run(['changed_ranges', '-d', '/dev/a', '-s', '1']);
    expect([r.code, r.lines]).toEqual([0, [`generation_id=${GEN}`, 'changes_number=3', 'since=1', 'ranges=2', `bytes=${3 * 65536}`, '128:256', '640:128']]);
  });

  it('refuses a --since that is not a change number (0-255) before asking the backend, as changedfiles does', async () => {
    for (const verb of ['changed_ranges', 'changedfiles']) {
      for (const bad of ['256', '-1', 'x', '1.5']) {
        let asked = false;
        const r = await run([verb, '-d', '/dev/a', '-s', bad], { cbtInfo: async () => { asked = true; return info(3); }, changedFilesStart: async () => { asked = true; return { jobId: 'j', cached: false }; } });
        expect([verb, bad, r.code, asked, r.stderr]).toEqual([verb, bad, 1, false, expect.stringContaining(`the argument ('${bad}') for option '--since' is invalid: a whole number from 0 to 255`)]);
      }
    }
  });

  it('as CSV and as JSON; without -s since the take before the last', async () => {
    expect((await run(['changed_ranges', '-d', '/dev/a', '-s', '0', '--csv'])).stdout).toBe('offset_sectors,count_sectors\n128,256\n640,128\n896,128\n');
    const json = JSON.parse((await run(['changed_ranges', '-d', '/dev/a', '--json'])).stdout);
    expect(json).toMatchObject({ device: '/dev/a', sinceChangeNumber: 2, rangeCount: 1, bytes: 65536, ranges: [{ offsetSectors: 640, countSectors: 128 }] });
  });

});

describe('readcbtmap', () => {
  it('writes the binary map in text mode, and with --json a JSON document, never the binary map', async () => {
    expect((await run(['readcbtmap', '-d', '/dev/a', '-f', join(dir, 'map')])).code).toBe(0);
    expect([...readFileSync(join(dir, 'map'))]).toEqual([...MAP]);
    const r = await run(['readcbtmap', '-d', '/dev/a', '--json']);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ device: '/dev/a', blockCount: 8, changesNumber: 3, counts: { 0: 4, 1: 1, 2: 2, 3: 1 } });
    expect([...Buffer.from(doc.mapBase64, 'base64')]).toEqual([...MAP]);
    await run(['readcbtmap', '-d', '/dev/a', '-f', join(dir, 'map.json'), '--json']);
    expect(JSON.parse(readFileSync(join(dir, 'map.json'), 'utf8'))).toMatchObject({ counts: { 2: 2 } });
  });
});

describe('module parameters', () => {
  const parameters = async () => ({ diff_storage_minimum: 2097152, chunk_minimum_shift: 18 });
  it('version --json carries them', async () => {
    const backendInfo = async () => ({ kind: 'emulator', dialect: 'lk6.15', dialectLabel: 'x', version: { major: 2, minor: 0, revision: 0, build: 0 } }) as never;
    const r = await run(['version', '--json'], { backendInfo, parameters });
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '2.0.0.0', parameters: { diff_storage_minimum: 2097152 } });
  });
});

describe('the CBT wrap warning', () => {
  it('cbtinfo says on stderr how many takes are left from change number 250', async () => {
    expect((await run(['cbtinfo', '-d', '/dev/a'], { cbtInfo: async () => info(249) })).stderr).toBe('');
    const r = await run(['cbtinfo', '-d', '/dev/a'], { cbtInfo: async () => info(251) });
    expect(r.lines).toContain('changes_number=251');
    expect(r.stderr).toBe('blksnapctl: warning: /dev/a: Change number 251: take 4 from now wraps the change number past 255 and resets the CBT (a new generation), so the backup after it must be a full one; 3 more takes are left for incremental backups.\n');
  });
});

describe('progress bars', () => {
  class Tty extends Writable {
    isTTY = true;
    columns = 80;
    text = '';
    override _write(chunk: Buffer, _enc: string, done: () => void) {
      this.text += chunk.toString();
      done();
    }
  }

  it('draw on a terminal only, and only for work longer than about a second', async () => {
    await loadProgressBar();
    let now = 0;
    const tty = new Tty();
    const quick = progress({ stream: tty, now: () => now }, 'reading', 10 * 2 ** 20, 'bytes');
    now = PROGRESS_DELAY_MS - 1;
    quick.update(5 * 2 ** 20);
    quick.stop();
    expect(tty.text).toBe('');
    const slow = progress({ stream: tty, now: () => now }, 'reading', 10 * 2 ** 20, 'bytes');
    now += PROGRESS_DELAY_MS;
    slow.update(5 * 2 ** 20);
    expect(tty.text).toMatch(/reading .* 50% \| 5\/10 MiB/);
    slow.stop();
    const pipe = Object.assign(new Tty(), { isTTY: false });
    const piped = progress({ stream: pipe, now: () => now }, 'reading', 10, 'bytes');
    now += 5000;
    piped.update(5);
    expect(pipe.text).toBe('');
  });

  it('load cli-progress only for a bar on a terminal: a bar due before it has loaded starts at a later update', async () => {
    vi.resetModules();
    const fresh = await import('../../../electron/cli/progress');
    let now = 0;
    const tty = new Tty();
    const bar = fresh.progress({ stream: tty, now: () => now }, 'writing', 10 * 2 ** 20, 'bytes');
    now += PROGRESS_DELAY_MS;
    bar.update(2 * 2 ** 20);
    expect(tty.text).toBe('');
    await fresh.loadProgressBar();
    bar.update(5 * 2 ** 20);
    expect(tty.text).toMatch(/writing .* 50% \| 5\/10 MiB/);
    bar.stop();
  });

  it('never with --json, nor where stderr is not a terminal (emu_read through runCli)', async () => {
    const tty = new Tty();
    const api = fakeApi({ emuRead: async ({ lengthBytes }) => { await new Promise((r) => setTimeout(r, 30)); return new Uint8Array(lengthBytes); } });
    let out = '';
    const code = await runCli(['emu_read', '-d', '/dev/a', '-o', '0', '-l', '8M', '--out', join(dir, 'o'), '--json'],
      { stdout: (t) => void (out += t), stderr: () => undefined, terminal: tty }, { connect: fakeConnector(api), env: {} });
    expect([code, tty.text]).toEqual([0, '']);
    expect(JSON.parse(out)).toMatchObject({ readBytes: 8 * 2 ** 20 });
  });
});
