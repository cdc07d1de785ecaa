// A blksnapctl call on the emulator loads none of the kernel clients (electron/control/select.ts,
// meanings.ts, app/boot.ts): the dialects' request tables, the probe and the kernel doctor load
// where a module's files exist, --backend kernel is given, a call fails or a doctor is asked for.
// Run through Node's ES module loader (tsx) with a hook that lists what it loads: a module
// imported statically loads at start, as the bundle evaluates it; one behind import() only when
// that runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator } from '../../../electron/control/emulator';
import { skipBecause } from '../../skip';

const root = resolve(__dirname, '..', '..', '..');
const KERNEL_CLIENTS = /\/electron\/control\/(kernel\/(dialects\/|probe|doctor|errno)|meaningTables)/;
/** The files by which select.ts finds a module (electron/control/kernel/nodes.ts). */
const MODULE_FILES = ['/dev/bdevfilter', '/sys/class/misc/bdevfilter', '/sys/class/veeamblksnap/major', '/sys/class/blksnap/major', '/dev/blksnap-control', '/sys/class/misc/blksnap-control'];
const moduleHere = MODULE_FILES.find((f) => existsSync(f));

let dir: string;

/** blksnapctl `argv` on the emulator directory: its output and the project modules it loaded. */
function blksnapctl(...argv: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const record = join(dir, 'loads.txt');
  rmSync(record, { force: true });
  const r = spawnSync(process.execPath, [
    '--import', 'tsx', '--import', join(__dirname, 'record-loads.mjs'),
    join(root, 'electron/cli/blksnapctl.ts'), ...argv, '--emulator-dir', join(dir, 'emulator'),
  ], { cwd: root, encoding: 'utf8', env: { ...process.env, RECORD_LOADS: record }, timeout: 60_000 });
  const loaded = existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter((u) => u.includes('/electron/')) : [];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

describe.skipIf(skipBecause('the emulator-only load test', moduleHere && `a blksnap module's file exists here (${moduleHere}), so --backend auto rightly loads the kernel clients`, 'on machines without the module (CI\'s runner; the VM suite covers the module)'))(
  'blksnapctl on the emulator', { timeout: 120_000 }, () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kernel-lazy-'));
      const emulator = await createEmulator({ stateDir: join(dir, 'emulator') });
      await emulator.createDevice('disk0', 2 ** 24);
      await emulator.attach('/dev/disk0');
      await emulator.close();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('loads no kernel client for a call that succeeds (--backend auto finds no module and stops at its files)', () => {
      const r = blksnapctl('cbtinfo', '-d', '/dev/disk0');
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toContain('block_count=256');
      expect(r.loaded.some((u) => u.endsWith('/electron/control/emulator/emulator.ts'))).toBe(true);
      expect(r.loaded.filter((u) => KERNEL_CLIENTS.test(u))).toEqual([]);
    });

    it('loads the meaning tables when a call fails, and says it in their words', () => {
      const r = blksnapctl('cbtinfo', '-d', '/dev/nosuch');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toBe('blksnapctl: OPEN_DEVICE: ENOENT (No such file or directory): no such device node\n');
      expect(r.loaded.some((u) => u.endsWith('/electron/control/meaningTables.ts'))).toBe(true);
    });
  },
);
