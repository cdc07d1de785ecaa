// Helpers shared by the verbs: argument checks worded as the upstream tool words them.
import { appError, BlksnapError, type ErrorCode } from '../../../shared/errors';
import { UUID_RE } from '../../../shared/ids';
import { UsageError, type ParsedArgs } from '../argv';

/** The upstream tool's answer to its own -j switch (spec §7.1). */
export function refuseUpstreamJson(args: ParsedArgs): void {
  if (args.has('json')) throw new UsageError("Argument 'json' is not supported yet.");
}

/** The required -i/--id as a snapshot id. */
export function snapshotIdArg(args: ParsedArgs): string {
  const id = args.required('id').toLowerCase();
  if (!UUID_RE.test(id)) {
    throw appError('EBADARG', `'${args.required('id')}' is not a snapshot id (a UUID like 3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b)`, { id: args.required('id') });
  }
  return id;
}

export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof BlksnapError && err.code === code;
}

/** A whole non-negative number given as an option value (bytes, sectors, ms). */
export function wholeNumberArg(args: ParsedArgs, name: string): number {
  const text = args.required(name);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`the argument ('${text}') for option '--${name}' is invalid`);
  }
  return Number(text);
}

/** An optional whole-number option within [min, max] (a change number: 0-255), checked before the backend is asked. */
export function boundedArg(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = args.value(name);
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`the argument ('${text}') for option '--${name}' is invalid: a whole number from ${min} to ${max}`);
  return n;
}
