// The stretch service's whole loop on the LD_PRELOAD fake v1 module with the KernelRangeAllocator
// on real files: the fake asks for storage at create and whenever free space falls to half a
// portion, checks every appended range (device, bounds, overlap) and overflows when the service
// stops answering at its limit. FIEMAP is the real one of this machine's filesystem; the ranges
// are checked against `filefrag` (e2fsprogs), an independent reader of the same extents.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { forceRemove } from './cleanup';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesystemType } from '../../../../electron/service/stretch/fiemap';
import { splitDev } from '../../../../electron/service/stretch/kernel-allocator';
import { StretchService } from '../../../../electron/service/stretch';
import { manifestName } from '../../../../electron/service/stretch/manifest';
import { buildFakeModule, runScenario, type ScenarioResult } from '../../control/kernel/v1/fake/harness';
import { skipBecause } from '../../../skip';

interface Output {
  id: string;
  taken: boolean;
  appEvents: { level: string; kind: string; message: string }[];
  moduleEvents: { kind: string; requestedSectors: number | null }[];
  status: { files: { path: string; sizeBytes: number }[]; allocatedBytes: number; limitReached: boolean; unansweredRequests: number };
  filefrag: Record<string, string>;
  info: { errorCode: number; image: string };
  usage: { capacitySectors: number; overflowed: boolean };
  stopWhileAlive: string;
  filesBeforeDestroy: string[];
  filesAfter: string[];
}

const work = mkdtempSync(join(tmpdir(), 'stretch-fake-'));
const built = buildFakeModule(work);
const fsType = filesystemType(work);
const sectorAddressed = fsType === 0xef53 || fsType === 0x58465342;
const skip = 'skip' in built ? built.skip
  : !sectorAddressed ? `${tmpdir()} is not ext4/xfs (statfs type 0x${fsType.toString(16)}): real FIEMAP ranges would not be device sectors`
    : !existsSync('/usr/sbin/filefrag') && !existsSync('/sbin/filefrag') ? 'filefrag (e2fsprogs) is missing for the independent extent check' : null;

const MINIMUM = 2048;
const dev = splitDev(statSync(work, { bigint: true }).dev);
const devText = `${dev.major}:${dev.minor}`;

function env(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    STRETCH_DIR: dir, STRETCH_DEVICE: devText, STRETCH_LIMIT_BYTES: String(4 * MINIMUM * 512),
    FAKE_V1_MINIMUM: String(MINIMUM), FAKE_V1_FILL_PER_WAIT: '128', FAKE_V1_STORAGE_DEV: devText,
    FAKE_V1_STORAGE_SECTORS: readFileSync(`/sys/dev/block/${devText}/size`, 'utf8').trim(), ...extra,
  };
}

function filefragRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+\d+\.\.\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+):/.exec(line);
    if (!m) continue;
    const [start, length] = [Number(m[1]), Number(m[2])];
    const last = ranges[ranges.length - 1];
    if (last && last[0] + last[1] === start) last[1] += length;
    else ranges.push([start, length]);
  }
  return ranges;
}

const script = join(__dirname, 'stretch-scenario.ts');
let full: ScenarioResult<Output>;
let crash: ScenarioResult<Output>;
let restart: ScenarioResult<Output>;
const crashDir = join(work, 'crash');

beforeAll(async () => {
  if (skip || !('so' in built)) return;
  const fullDir = join(work, 'full');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(fullDir);
  mkdirSync(crashDir);
  full = runScenario<Output>(script, built.so, env(fullDir), join(work, 'full.log'));
  crash = runScenario<Output>(script, built.so, env(crashDir, { STRETCH_MODE: 'crash', STRETCH_CRASH_AFTER: '2' }), join(work, 'crash.log'));
}, 120_000);
afterAll(() => forceRemove(work));

describe.skipIf(skipBecause('the stretch fake-module tests', skip, 'where gcc builds the fake, the temporary directory is on ext4 or xfs and filefrag is installed'))('stretch service on the fake v1 module (kernel allocator, real FIEMAP)', () => {
  it('runs without hazards or range violations', () => {
    expect(full.stderr).toBe('');
    expect(full.status).toBe(0);
    expect(full.log.filter((l) => l.op === 'HAZARD' || l.op === 'violation')).toEqual([]);
  });

  it('answers the creation event before take, then each low_free_space, with diff_storage#<k> files', () => {
    const out = full.output as Output;
    const ops = full.log.map((l) => l.op);
    expect(ops.indexOf('append')).toBeLessThan(ops.indexOf('take'));
    expect(out.status.files.map((f) => f.path.split('/').pop())).toEqual(['diff_storage#0', 'diff_storage#1', 'diff_storage#2', 'diff_storage#3']);
    expect(out.status.files.every((f) => f.sizeBytes === MINIMUM * 512)).toBe(true);
    expect(out.moduleEvents.filter((e) => e.kind === 'low_free_space').length).toBeGreaterThanOrEqual(5);
  });

  it('appends exactly the files\' extents (as filefrag sees them) on the filesystem\'s device', () => {
    const out = full.output as Output;
    const appends = full.log.filter((l) => l.op === 'append') as unknown as { dev: string; ranges: [number, number][] }[];
    expect(appends).toHaveLength(4);
    out.status.files.forEach((f, i) => {
      expect(appends[i]?.dev).toBe(devText);
      expect(appends[i]?.ranges).toEqual(filefragRanges(out.filefrag[f.path] ?? ''));
      expect(appends[i]?.ranges.reduce((s, r) => s + r[1], 0)).toBe(MINIMUM);
    });
  });

  it('respects the limit and warns before the overflow', () => {
    const out = full.output as Output;
    expect(out.status.allocatedBytes).toBe(4 * MINIMUM * 512);
    expect(out.status.limitReached).toBe(true);
    expect(out.status.unansweredRequests).toBeGreaterThanOrEqual(1);
    const firstWarning = out.appEvents.findIndex((e) => e.level === 'warning' && /limit reached/.test(e.message));
    const lost = out.appEvents.findIndex((e) => e.level === 'error' && /lost/.test(e.message));
    expect(firstWarning).toBeGreaterThanOrEqual(0);
    expect(lost).toBeGreaterThan(firstWarning);
    expect(out.appEvents.every((e) => e.kind === 'stretch')).toBe(true);
    expect(out.usage).toMatchObject({ capacitySectors: 4 * MINIMUM, overflowed: true });
  });

  it('keeps the files while the snapshot exists and deletes them (and the manifest) after destroy', () => {
    const out = full.output as Output;
    expect(out.stopWhileAlive).toMatch(/still exists/);
    expect(out.filesBeforeDestroy).toEqual([manifestName(out.id), 'diff_storage#0', 'diff_storage#1', 'diff_storage#2', 'diff_storage#3'].sort());
    expect(out.filesAfter).toEqual([]);
  });

  it('after a crash and a reboot, finds the leftovers and deletes them when the next stretch starts in that directory', () => {
    expect(crash.signal).toBe('SIGKILL');
    expect(readdirSync(crashDir).sort()).toEqual([manifestIn(crashDir), 'diff_storage#0', 'diff_storage#1'].sort());
    rebootSince(crashDir); // within the same boot the module may still write into them
    restart = runScenario<Output>(script, built && 'so' in built ? built.so : '', env(crashDir), join(work, 'restart.log'));
    expect(restart.status).toBe(0);
    const out = restart.output as Output;
    expect(out.appEvents.some((e) => /deleted 2 leftover storage file/.test(e.message))).toBe(true);
    expect(out.filesAfter).toEqual([]);
  });

  it('cleanupLeftovers alone keeps the files within the boot, listed or not, and deletes them after a reboot', async () => {
    const dir = join(work, 'alone');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const again = runScenario<Output>(script, 'so' in built ? built.so : '', env(dir, { STRETCH_MODE: 'crash', STRETCH_CRASH_AFTER: '1' }), join(work, 'alone.log'));
    expect(again.signal).toBe('SIGKILL');
    const manifest = JSON.parse(readFileSync(join(dir, manifestIn(dir)), 'utf8')) as { snapshotId: string };
    const kept = await StretchService.cleanupLeftovers(dir, { liveSnapshotIds: [manifest.snapshotId] });
    expect(kept.kept).toHaveLength(1);
    expect(readdirSync(dir)).toContain('diff_storage#0');
    // Not listed, same boot: kept (a v1 snapshot that dropped out of the list still writes, spec §6.3).
    const stranded = await StretchService.cleanupLeftovers(dir, { liveSnapshotIds: [] });
    expect(stranded.kept).toHaveLength(1);
    expect(stranded.reason).toMatch(/may still write/);
    rebootSince(dir);
    const gone = await StretchService.cleanupLeftovers(dir, { liveSnapshotIds: [] });
    expect(gone.deleted.map((f) => f.split('/').pop())).toEqual(['diff_storage#0']);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** As if the machine rebooted since the manifest was written: no module holds its files any more. */
function rebootSince(dir: string): void {
  const file = join(dir, manifestIn(dir));
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), bootId: 'an-earlier-boot' }));
}

/** The one snapshot manifest in `dir` (its name carries the snapshot id). */
function manifestIn(dir: string): string {
  const names = readdirSync(dir).filter((n) => /^\.blksnap-stretch-.*\.json$/.test(n));
  expect(names).toHaveLength(1);
  return names[0] as string;
}
