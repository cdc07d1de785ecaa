// What the guest hands back: one result per case, the shared scenario's per-step outputs, and
// the way they leave the guest (the result disk: a length line, then the JSON document).
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';

export interface CaseResult {
  guest: string;
  area: string;
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  error?: string;
  /** Why a case was skipped. */
  reason?: string;
  notes: string[];
}

export type { ScenarioOutput, StepOutput } from '../scenario/steps';
import type { ScenarioOutput } from '../scenario/steps';

export interface GuestReport {
  guest: string;
  kernel: string;
  started: string;
  finished?: string;
  cases: CaseResult[];
  scenarios: ScenarioOutput[];
}

export const RESULT_MAGIC = 'VMRESULT';

/** `VMRESULT <bytes>\n<json>` at offset 0 of the raw result disk. */
export function writeResultDisk(path: string, report: GuestReport): void {
  const json = Buffer.from(JSON.stringify(report));
  const data = Buffer.concat([Buffer.from(`${RESULT_MAGIC} ${json.length}\n`), json]);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, 0);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
