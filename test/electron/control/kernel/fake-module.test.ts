// The fake module at the libc level (fake/fake_blksnap.c), built with gcc per dialect and
// LD_PRELOADed into a child Node: the probe and a full lifecycle run through the real kernel
// backend (ffi-rs → libc open/ioctl), and the fake checks every struct with C definitions.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './conformance/trace';

const FAKE_DIR = join(__dirname, 'fake');
const work = mkdtempSync(join(tmpdir(), 'blksnap-fake-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Case { id: string; flag: string; kernel: string; upstream: boolean; control: string; image: string; events: [string, number][] }

const CASES: Case[] = [
  { id: 'lk6.15', flag: 'FAKE_LK615', kernel: '6.15.0', upstream: true, control: 'blksnap-control', image: 'blksnap-254-0', events: [['no_space', 1]] },
  { id: 'v7', flag: 'FAKE_V7', kernel: '6.9.0', upstream: true, control: 'blksnap-control', image: 'blksnap-image_254:0', events: [['corrupted', 0]] },
  { id: 'v6', flag: 'FAKE_V6', kernel: '6.7.0', upstream: true, control: 'blksnap-control', image: 'blksnap-image_254:0', events: [['corrupted', 0]] },
  { id: 'val-7.0', flag: 'FAKE_VAL70', kernel: '6.1.0-56-amd64', upstream: false, control: 'veeamblksnap', image: 'veeamblksnapimg_254:0', events: [['low_free_space', 1], ['corrupted', 0]] },
  { id: 'val-13', flag: 'FAKE_VAL13', kernel: '6.17.0', upstream: false, control: 'veeamblksnap', image: 'vbsnap-254-0', events: [['low_free_space', 2], ['no_space', 1]] },
];

function build(c: Case): string {
  const so = join(work, `${c.id}.so`);
  execFileSync('gcc', ['-shared', '-fPIC', '-Wall', '-Werror', '-O1', `-D${c.flag}`, '-o', so, join(FAKE_DIR, 'fake_blksnap.c'), '-ldl', '-lpthread']);
  return so;
}

function layRoot(c: Case): string {
  const root = join(work, `root-${c.id}`);
  const files: Record<string, string> = { [`/dev/${c.control}`]: '', '/dev/vda': '', '/dev/vdb': '' };
  if (!c.upstream) files['/dev/bdevfilter'] = '';
  for (const [name, minor] of [['vda', 0], ['vdb', 16]] as const) {
    files[`/sys/class/block/${name}/dev`] = `254:${minor}\n`;
    files[`/sys/class/block/${name}/size`] = '524288\n';
    if (c.upstream) files[`/sys/class/block/${name}/filter`] = '\n';
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

type Step = { ok?: unknown; error?: { code: string; message: string } };

describe.each(CASES.map((c) => [c.id, c] as const))('fake %s module through LD_PRELOAD', (_id, c) => {
  it('is probed to its dialect and runs a full lifecycle through the kernel backend', () => {
    const so = build(c);
    const root = layRoot(c);
    const log = join(work, `${c.id}.log`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(FAKE_DIR, 'lifecycle.ts')], {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, LD_PRELOAD: so, FAKE_BLKSNAP_ROOT: root, FAKE_BLKSNAP_LOG: log, FAKE_KERNEL_RELEASE: c.kernel },
    });
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, Step & Record<string, unknown>>;
    const ok = (name: string) => out[name]?.ok;
    const code = (name: string) => out[name]?.error?.code;

    expect(out.probe).toMatchObject({ dialect: c.id });
    expect(out.info).toMatchObject({ kind: 'kernel', dialect: c.id, verified: c.id !== 'val-13', controlNode: `/dev/${c.control}` });
    expect(ok('version')).toEqual({ major: c.upstream ? 2 : 7, minor: 0, revision: 0, build: 0 });
    const discovery = c.upstream ? 'sysfs-filter' : 'cbtinfo-probe';
    expect(ok('devicesBefore')).toEqual([
      { name: 'vda', tracked: false, discovery, capacitySectors: 524288, devId: { major: 254, minor: 0 } },
      { name: 'vdb', tracked: false, discovery, capacitySectors: 524288, devId: { major: 254, minor: 16 } },
    ]);
    expect(out.attach).toEqual({ ok: null });
    expect(code('attachTwice')).toBe('EALREADY');
    expect(ok('devicesAfter')).toEqual([{ name: 'vda', tracked: true, discovery }, { name: 'vdb', tracked: false, discovery }]);
    expect(ok('cbtInfo')).toMatchObject({ deviceCapacityBytes: 268435456, blockSizeBytes: 65536, blockCount: 4096, changesNumber: 0 });
    expect(out.dirty).toEqual({ ok: null });
    expect(code('dirtyCount0')).toBe('EGUARD');
    expect(code('dirtyPastEnd')).toBe('EGUARD');
    expect(code('mapPastEnd')).toBe('EGUARD');
    if (!c.upstream) {
      expect(ok('rangeEvent')).toMatchObject({ kind: 'low_free_space', code: c.events[0]?.[1], requestedSectors: 8192 });
      expect(out.appendStorage).toEqual({ ok: null });
    }
    expect(out.add).toEqual({ ok: null });
    expect(code('addTwice')).toBe('EALREADY');
    expect(out.take).toEqual({ ok: null });
    expect(code('takeTwice')).toBe('EALREADY');
    expect(ok('snapshotInfo')).toEqual({ errorCode: 0, image: c.image });
    expect(ok('collect')).toEqual([ok('create')]);
    expect(ok('cbtInfoAfterTake')).toMatchObject({ changesNumber: 1 });
    expect(ok('mapAfterTake')).toEqual({ 16: 1, 3200: 1, 3201: 1 });
    const [kind, eventCode] = c.events.at(-1) ?? [];
    expect(ok('event')).toMatchObject({ snapshotId: ok('create'), kind, code: eventCode });
    const wait = out.eventWait as { ms: number; loopTicks: number };
    expect(wait.ms, 'the empty wait lasted its timeout').toBeGreaterThanOrEqual(350);
    expect(wait.loopTicks, 'the event loop ran during the wait').toBeGreaterThan(1);
    expect(out.waitTimeout).toEqual({ ok: null });
    expect(out.waitAborted).toEqual({ ok: null });
    const usage = ok('usage') as { source: string; overflowed: boolean | null; filledSectors: number | null };
    expect(usage.source).toMatch(c.upstream ? /size of|unnamed file/ : /range mode/);
    expect(usage.filledSectors, 'the module never reports its fill').toBeNull();
    expect(usage.overflowed, 'known only from a corrupted(ENOSPC) event').toBe(kind === 'corrupted' ? true : null);
    expect(out.destroy).toEqual({ ok: null });
    expect(code('destroyTwice')).toBe('ENODEV');
    expect(out.destroyTwice?.error?.message).toMatch(/no snapshot with this id/);
    expect(code('waitDestroyed')).toBe('ESRCH');
    expect(out.detach).toEqual({ ok: null });
    expect(code('cbtInfoDetached')).toBe('ENOENT');
    expect(out.cbtInfoDetached?.error?.message).toMatch(/not tracked/);
    expect(ok('collectEmpty')).toEqual([]);

    // The probe's order and hazards as the fake saw them.
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.startsWith('HAZARD'))).toEqual([]);
    expect(lines[0]).toBe('control 80085600 0');
    const probeAnswer = c.upstream ? (c.id === 'lk6.15' ? 'vda c0301290 2' : 'vda c0301290 25') : (c.id === 'val-7.0' ? 'bdevfilter c038468c 25' : 'bdevfilter c038468c 14');
    expect(lines[1]).toBe(probeAnswer);
  }, 120_000); // gcc and a child node with tsx: over the 30 s default on a loaded machine
});
