// Every skipped test says why it is skipped here and where it does run (issue 17): a skip's
// condition goes through skipBecause (or skipWithout in test/deploy/tools.ts, built on it), which
// prints one line per reason; test/skips.test.ts fails on a skip in test/ that bypasses them.

const said = new Set<string>();

/**
 * True (skip) when `why` names a reason, and then prints, once per reason,
 * `skipped: <what>: <why>; it runs <runsWhere>`. A falsy `why` means run: false, nothing printed.
 */
export function skipBecause(what: string, why: string | null | undefined | false, runsWhere: string): boolean {
  if (!why) return false;
  const line = `skipped: ${what}: ${why}; it runs ${runsWhere}`;
  if (!said.has(line)) {
    said.add(line);
    console.log(line);
  }
  return true;
}
