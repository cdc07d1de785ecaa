// By hand: a guest's run of the shared scenario replayed on its emulator flavour (replay.ts),
// `N of M steps identical` and each differing step; exits 1 when any step differs.
//   npx tsx test/vm/scenario/compare.ts test-results/vm-scenarios/VAL-6.3.json
//   npx tsx test/vm/scenario/compare.ts test/vm/scenario/recorded/VAL-7.0.json
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { replay } from './replay';
import type { ScenarioOutput } from './steps';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx test/vm/scenario/compare.ts <test-results/vm-scenarios/GUEST.json | test/vm/scenario/recorded/GUEST.json>');
  process.exit(2);
}
const saved = JSON.parse(readFileSync(file, 'utf8')) as { guest?: string; scenarios?: ScenarioOutput[]; scenario?: ScenarioOutput };
const guest = saved.guest ?? basename(file, '.json');
const module = saved.scenario ?? saved.scenarios?.find((s) => s.scenario === 'shared');
if (!module) throw new Error(`${file} has no "shared" scenario`);
const result = await replay(guest, module);
if (!result) {
  console.error(`no emulator flavour models ${guest} (replay.ts REPLAY_TARGETS)`);
  process.exit(2);
}
console.log(result.text);
process.exitCode = result.diffs.length ? 1 : 0;
