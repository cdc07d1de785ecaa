// The emulator replay without a VM: each real module's recorded run of the shared scenario
// (recorded/<guest>.json, written by `npm run test:vm -- --only scenario --record`) against the
// emulator flavour that models it, step by step, ids, times and the environment normalised.
// The module's output is the reference: a differing step fails with both outputs.
import { describe, expect, it } from 'vitest';
import { compareRuns, normaliseEnvironment, readRecording, replay, REPLAY_TARGETS } from './replay';

describe('the emulator replays the real modules\' recorded scenario step by step', () => {
  for (const [guest, target] of Object.entries(REPLAY_TARGETS)) {
    it(`${guest} on --emulate ${target.flavour}`, async () => {
      const recording = readRecording(guest);
      expect(recording, `no recording of ${guest}: npm run test:vm -- --guest ${guest} --only scenario --record`).not.toBeNull();
      const result = await replay(guest, recording!.scenario);
      expect(result!.diffs.length, result!.text).toBe(0);
      expect(result!.identical).toBe(recording!.scenario.steps.length);
    }, 60_000);
  }
});

describe('the comparison', () => {
  const recording = readRecording('VAL-6.3');

  it('fails on a sentence, an exit code or a missing step, which no normalisation hides', () => {
    const module = recording!.scenario;
    const changed = structuredClone(module);
    const take = changed.steps.find((s) => s.label === 'take again')!;
    take.stderr = take.stderr.replace('already taken', 'taken before');
    changed.steps.find((s) => s.label === 'destroy again')!.code = 0;
    changed.steps.pop();
    const { diffs } = compareRuns(module, changed);
    expect(diffs.map((d) => `${d.label} ${d.field}`)).toEqual(['take again stderr', 'destroy again code', `${module.steps.at(-1)!.label} label`]);
  });

  it('normalises ids, times and the environment only', () => {
    const store = '/mnt/store/case-28-diff';
    expect(normaliseEnvironment('0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9 \ntime=123456\nimage=/dev/veeamblksnapimg_254:0\n', store)).toBe('<uuid> \ntime=<t>\nimage=/dev/veeamblksnapimg_<M:m>\n');
    expect(normaliseEnvironment(`[stretch] stretching x in ${store} with kernel storage, limit 256 MiB\n[stretch] appended ${store}/diff_storage#0: 1 range(s) on /dev/vdb; 64 MiB of 256 MiB allocated\n`, store))
      .toBe('[stretch] stretching x in <store> with <allocator> storage, limit 256 MiB\n[stretch] appended <store>/diff_storage#0: 1 range(s) on <storage device>; 64 MiB of 256 MiB allocated\n');
    expect(normaliseEnvironment('error_code=-28\nevent=corrupted\n', store)).toBe('error_code=-28\nevent=corrupted\n');
    expect(normaliseEnvironment('error_code=0\nimage=/dev/blksnap-254-0\n', store)).toBe('error_code=0\nimage=/dev/blksnap-<M>-<m>\n');
    expect(normaliseEnvironment('blksnap-image_254:0 blksnapctl-2-0 changes_number=2-0\n', store)).toBe('blksnap-image_<M:m> blksnapctl-2-0 changes_number=2-0\n');
  });
});
