// Conformance replay of the real VAL-7.0 module's traces (../shared/conformance): every recorded
// ioctl is re-sent by our client through a replaying KernelSys that demands byte-identical
// argument structs and buffers, answers as the module did, and the client's decoded result or
// named error is checked. VAL-13 and the upstream dialects have no traces (README): they are
// verified by the spec, the gcc layout check and the fake module only.
import { describe, expect, it } from 'vitest';
import { KernelEnv } from '../../../../electron/control/kernel/env';
import { val70 } from '../../../../electron/control/kernel/dialects/val-7.0';
import { openV2Control } from '../../../../electron/control/kernel/dialects/v2-family/control';
import { conformanceAvailable, CONFORMANCE_DIR, readTrace } from './conformance/trace';
import { ReplayPort } from './conformance/replay-port';
import { NOT_SENT, check, drive, v2Layouts } from './conformance/drive-v2';
import { skipBecause } from '../../../skip';

const FILES = ['fingerprints-val-7.0.jsonl', 'lifecycle-val-7.0.jsonl', 'errors-val-7.0.jsonl', 'overflow-val-7.0.jsonl'];
const skipReplay = skipBecause('the VAL-7.0 conformance replay', !conformanceAvailable && `conformance traces not found at ${CONFORMANCE_DIR}`, 'where ../shared/conformance beside the repository holds the VAL-7.0 traces, and always in CI');

describe.skipIf(skipReplay)(`VAL-7.0 conformance replay (${CONFORMANCE_DIR})`, () => {
  it.each(FILES)('%s: every recorded ioctl is encoded byte-identically and decoded to the recorded outcome', async (file) => {
    const records = readTrace(file);
    const port = new ReplayPort(v2Layouts(val70.structs));
    const control = openV2Control(val70, { env: new KernelEnv({ root: '/nonexistent-replay-root', sys: port }), version: { major: 7, minor: 0, revision: 0, build: 0 }, reason: 'replay' });
    let sent = 0;
    const skipped: string[] = [];
    for (const rec of records) {
      if (NOT_SENT[rec.name]) { skipped.push(`${rec.label}: ${NOT_SENT[rec.name]}`); continue; }
      port.expect(rec);
      const outcome: { value?: unknown; error?: unknown } = {};
      try {
        outcome.value = await drive(control, rec);
      } catch (err) {
        outcome.error = err;
      }
      expect(port.pending(), `${rec.seq} ${rec.label}: the client did not send the recorded ioctl (${String(outcome.error)})`).toBe(0);
      check(rec, outcome);
      sent++;
    }
    await control.close();
    expect(port.mismatches).toEqual([]);
    expect(sent + skipped.length).toBe(records.length);
    expect(sent).toBeGreaterThan(0);
    if (skipped.length) console.info(`${file}: not sent by the client: ${skipped.join('; ')}`);
  });
});

describe.skipIf(skipReplay)('the replay itself', () => {
  it('notices a single wrong byte in an argument struct (so a pass means byte-identical)', async () => {
    const rec = readTrace('lifecycle-val-7.0.jsonl').find((r) => r.label === 'create-1');
    if (!rec) throw new Error('create-1 missing');
    const mutated = { ...rec, in: rec.in.replace(/^00000800/, '00000900') };
    const port = new ReplayPort(v2Layouts(val70.structs));
    const control = openV2Control(val70, { env: new KernelEnv({ root: '/nonexistent-replay-root', sys: port }), version: { major: 7, minor: 0, revision: 0, build: 0 }, reason: 'replay' });
    port.expect(mutated);
    await drive(control, rec);
    expect(port.mismatches.map((m) => m.label)).toEqual(['create-1']);
  });
});
