// The registry entry: variant from /sys/class, the control node opened through the env's
// syscalls under its root, VERSION checked, names per variant.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelDialect } from '../../../../../electron/control/kernel/dialects';
import { KernelEnv, type KernelSys } from '../../../../../electron/control/kernel/env';
import { V1_REQUEST } from '../../../../../electron/control/kernel/dialects/v1/layout';
import { err, makeSysRoot, ok, poke } from './helpers';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function fixture(className: 'veeamblksnap' | 'blksnap', versionMajor = 1) {
  const root = makeSysRoot(mkdtempSync(join(tmpdir(), 'v1-dialect-')), undefined, className);
  roots.push(root);
  mkdirSync(join(root, 'sys', 'class', className), { recursive: true });
  writeFileSync(join(root, 'sys', 'class', className, 'major'), '246');
  const opened: string[] = [];
  const requests: number[] = [];
  const sys: KernelSys = {
    open: (path) => {
      opened.push(path);
      return path === join(root, 'dev', className) ? ok(7) : err('ENOENT');
    },
    close: () => ok(),
    ioctl: (_fd, request, address) => {
      requests.push(request);
      if (request === V1_REQUEST.VERSION) poke(address, Buffer.from([versionMajor, 0, 0, 0, 0, 0, 0, 0]));
      if (request === V1_REQUEST.SNAPSHOT_COLLECT_IMAGES) return err('ENODEV');
      return ok();
    },
    ioctlBlocking: async () => err('ENOENT'),
  };
  return { env: new KernelEnv({ root, sys }), opened, requests, root };
}

describe('v1 in the dialect registry', () => {
  it('opens VAL-6.1+ at /dev/veeamblksnap under the env root and labels it verified', async () => {
    const f = fixture('veeamblksnap');
    const c = await kernelDialect('v1')?.open({ env: f.env, version: { major: 1, minor: 0, revision: 0, build: 0 }, reason: 'probe said so' });
    expect(f.opened).toEqual([join(f.root, 'dev', 'veeamblksnap')]);
    expect(c?.info).toMatchObject({ kind: 'kernel', dialect: 'v1', verified: true, reason: 'probe said so', controlNode: '/dev/veeamblksnap' });
    expect(await c?.parameters()).toHaveProperty('diff_storage_minimum');
    expect(f.requests).toEqual([V1_REQUEST.VERSION]);
  });

  it('opens VAL-6.0 at /dev/blksnap with its module name, verified against the VAL-6.0 source (names only differ)', async () => {
    const f = fixture('blksnap');
    const c = await kernelDialect('v1')?.open({ env: f.env, version: { major: 1, minor: 0, revision: 0, build: 0 }, reason: 'probe' });
    expect(f.opened).toEqual([join(f.root, 'dev', 'blksnap')]);
    expect(c?.info).toMatchObject({ verified: true, controlNode: '/dev/blksnap', dialectLabel: expect.stringMatching(/6\.0/) });
    expect(await c?.parameters()).toHaveProperty('diff_storage_minimum');
  });

  it('refuses a node that answers VERSION with another major', async () => {
    const f = fixture('veeamblksnap', 7);
    await expect(kernelDialect('v1')?.open({ env: f.env, version: { major: 7, minor: 0, revision: 0, build: 0 }, reason: '' })).rejects.toThrow(/not the v1 dialect/);
  });
});
