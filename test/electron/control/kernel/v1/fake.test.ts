// The v1 control against the LD_PRELOAD fake module, through the real ffi-rs ioctl path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeModule, runScenario, type ScenarioResult } from './fake/harness';
import { makeSysRoot } from './helpers';
import { skipBecause } from '../../../../skip';

type Steps = Record<string, { ok?: unknown; error?: string; message?: string }>;

const dir = mkdtempSync(join(tmpdir(), 'v1-fake-'));
const built = buildFakeModule(dir);
const skip = 'skip' in built ? built.skip : null;
let run: ScenarioResult<Steps>;

beforeAll(() => {
  if (skip || !('so' in built)) return;
  const root = makeSysRoot(join(dir, 'root'));
  run = runScenario<Steps>(join(__dirname, 'fake', 'lifecycle-scenario.ts'), built.so, { FAKE_SYS_ROOT: root }, join(dir, 'fake.log'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skipBecause('the v1 fake-module tests', skip, 'wherever gcc builds the LD_PRELOAD fake, and always in CI'))('v1 control on the LD_PRELOAD fake module', () => {
  const s = (name: string) => run.output?.[name] ?? {};

  it('runs to the end without tripping a hazard (count-0 create, nr 12) or a bad range', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.log.filter((l) => l.op === 'HAZARD' || l.op === 'violation')).toEqual([]);
    expect(run.log.some((l) => l.op === 'ioctl' && l.nr === 12)).toBe(false);
  });

  it('refuses what v1 cannot do, before any ioctl: attach, empty create, a second snapshot, add', () => {
    expect(s('attach').error).toBe('EUNSUPPORTED');
    expect(s('createEmpty').error).toBe('EGUARD');
    expect(s('createSecond')).toMatchObject({ error: 'EGUARD', message: expect.stringMatching(/one snapshot at a time/) });
    expect(s('add').message).toMatch(/the device list is fixed at create/);
    expect(run.log.filter((l) => l.op === 'create')).toHaveLength(1);
  });

  it('shows trackers appearing at create (discovery by TRACKER_COLLECT)', () => {
    expect(s('devicesBefore').ok).toEqual(expect.arrayContaining(['vda:false', 'vdb:false']));
    expect(s('devicesAfterCreate').ok).toEqual(expect.arrayContaining(['vda:true:tracker-collect', 'vdb:false:tracker-collect']));
  });

  it('needs storage before take, answers the creation event, then takes and finds the image', () => {
    expect(s('takeWithoutStorage').error).toBe('EGUARD');
    expect(s('event').ok).toMatchObject({ kind: 'low_free_space', code: 0, requestedSectors: 2048 });
    expect(s('appendPastEnd').error).toBe('EBADARG');
    expect(s('append').ok).toBeNull();
    expect(s('take').ok).toBeNull();
    expect(s('takeTwice').error).toBe('EALREADY');
    expect(s('imagesBeforeTake').ok).toEqual({ errorCode: 0, image: '' });
    expect(s('info').ok).toEqual({ errorCode: 0, image: 'veeamblksnapimg0' });
    expect(run.log.filter((l) => l.op === 'append')).toEqual([{ op: 'append', dev: '254:16', ranges: [[0, 2048]] }]);
  });

  it('reads the CBT map only while taken, by byte counts, stopping at the end', () => {
    expect(s('mapBeforeTake').error).toBe('EPERM');
    expect(s('cbtInfo').ok).toMatchObject({ blockCount: 4096, blockSizeBytes: 65536, changesNumber: 1 });
    expect(s('mapFull').ok).toEqual({ length: 4096, block96: 2 });
    expect(s('mapAtEnd').error).toBe('EINVAL');
    expect(s('mapAfterDestroy').error).toBe('EPERM');
  });

  it('keeps the tracker while the snapshot holds it, removes it after destroy', () => {
    expect(s('detachWhileTaken').error).toBe('EBUSY');
    expect(s('collect').ok).toHaveLength(1);
    expect(s('usage').ok).toMatchObject({ capacitySectors: 2048, requestedSectors: 2048, limitSectors: 8192 });
    expect(s('destroy').ok).toBeNull();
    expect(s('destroyTwice').error).toBe('ENODEV');
    expect(s('detach').ok).toBeNull();
    expect(s('detachTwice').error).toBe('ENODATA');
  });
});
