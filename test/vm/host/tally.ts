// Turns what a guest brought back into outcomes: the result disk's cases (the console's
// VMTEST lines where the disk has none), plus one failed outcome for a guest that did not
// finish (killed after its timeout, crashed, or its suite died), with the console's tail.
import type { BootResult } from './qemu';
import type { GuestSpec } from './guests';
import type { CaseResult } from '../guest/report';

/** A guest's case result (guest/report.ts), or one the host made for a guest that did not finish. */
export type Outcome = Omit<CaseResult, 'notes'> & {
  text?: string;
  notes?: string[];
};

interface ReportShape {
  cases?: Outcome[];
}

function consoleTail(text: string, lines = 30): string {
  return text.split('\n').filter((l) => !l.includes('VMTEST {"type":"case"')).slice(-lines).join('\n');
}

export function collectGuest(g: GuestSpec, r: BootResult, timeoutMs: number, workDir: string): Outcome[] {
  const report = r.report as ReportShape | null;
  const fromConsole = r.records.filter((x) => x.type === 'case') as unknown as Outcome[];
  const cases = report?.cases ?? fromConsole;
  const out: Outcome[] = cases.map((c) => ({ ...c, guest: g.name }));
  const ended = r.records.some((x) => x.type === 'end');
  const fatal = r.records.find((x) => x.type === 'fatal');
  const where = `console: ${workDir}/console.log`;
  if (r.timedOut) {
    out.push({ guest: g.name, area: '(guest)', name: 'finished in time', status: 'failed', ms: r.ms, error: `killed after ${timeoutMs / 1000} s: the guest hung or the suite ran too long (${where})\n${consoleTail(r.console)}` });
  } else if (fatal) {
    out.push({ guest: g.name, area: '(guest)', name: 'suite ran', status: 'failed', ms: r.ms, error: `the suite died: ${String(fatal.error)}` });
  } else if (!ended || !report) {
    out.push({ guest: g.name, area: '(guest)', name: 'suite ran', status: 'failed', ms: r.ms, error: `the guest stopped (qemu exit ${r.exitCode}) before the suite reported its end${report ? '' : ' and wrote no result disk'} (${where})\n${consoleTail(r.console)}` });
  } else if (cases.length === 0) {
    out.push({ guest: g.name, area: '(guest)', name: 'ran cases', status: 'failed', ms: r.ms, error: 'no case ran (a --only filter that matches nothing?)' });
  }
  return out;
}

export function tally(outcomes: readonly Outcome[], guests: readonly GuestSpec[]) {
  const count = (s: Outcome['status']) => outcomes.filter((o) => o.status === s).length;
  const perGuest = guests.map((g) => {
    const mine = outcomes.filter((o) => o.guest === g.name);
    return { guest: g.name, passed: mine.filter((o) => o.status === 'passed').length, failed: mine.filter((o) => o.status === 'failed').length, skipped: mine.filter((o) => o.status === 'skipped').length };
  });
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), perGuest, outcomes };
}
