// The VAL-6.3 conformance traces the v1 replay needs; reading them is ../conformance/trace.ts.
import { CONFORMANCE_DIR, missingTraces } from '../conformance/trace';

export const TRACE_FILES = ['fingerprints', 'lifecycle', 'errors', 'overflow'].map((f) => `${f}-val-6.3.jsonl`);

/** Why the replay cannot run, or null. */
export function traceMissingReason(): string | null {
  const missing = missingTraces(TRACE_FILES);
  return missing.length ? `conformance traces not found in ${CONFORMANCE_DIR}: ${missing.join(', ')}` : null;
}
