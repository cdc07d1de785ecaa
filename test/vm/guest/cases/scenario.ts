// The shared scenario (test/vm/scenario/steps.ts) on the real module: every step's output goes
// back to the host in the result disk's `scenarios` (compare them with the emulator's run).
// As a case it checks only what holds on every dialect: the lifecycle steps succeed.
import { runScenario, V1_MINIMUM_SECTORS } from '../../scenario/steps';
import { writeDevice, type VmArea } from '../harness';
import { check, storeDir } from './util';

const MUST_PASS = ['version', 'create', 'take', 'info', 'destroy', 'overflow: create 16M', 'overflow: take'];

export const scenario: VmArea = {
  area: 'scenario',
  cases: [
    {
      name: 'the shared scenario, every step recorded',
      timeoutMs: 300_000,
      async run(ctx) {
        const family = ctx.guest.dialect === 'v1' ? 'v1' : 'v2';
        if (family === 'v1') await ctx.setModuleParameter('diff_storage_minimum', String(V1_MINIMUM_SECTORS));
        const out = await runScenario('shared', family, {
          dev: ctx.dev,
          store: storeDir(ctx),
          cli: (argv) => ctx.cli(...argv),
          write: async (dev, offset, length, byte) => {
            const chunk = Buffer.alloc(Math.min(length, 2 ** 20), byte);
            for (let done = 0; done < length; done += chunk.length) writeDevice(dev, offset + done, chunk);
          },
        });
        ctx.scenarios.push(out);
        const failed = out.steps.filter((s) => MUST_PASS.includes(s.label) && s.code !== 0);
        check(failed.length === 0, `steps failed: ${failed.map((s) => `${s.label}: ${s.stderr.trim()}`).join('; ')}`);
        ctx.note(`${out.steps.length} steps, ${out.steps.filter((s) => s.code !== 0).length} exited non-zero`);
      },
    },
  ],
};
