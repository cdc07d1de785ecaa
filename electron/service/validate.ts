// The one gate both transports use: a method name and raw arguments in, a CallOutcome out.
// Arguments are checked against the contract before the service sees them; every failure,
// malformed or not, comes back as ErrorInfo and never throws.
import type { z } from 'zod';
import { API, isApiMethod, type BlksnapApi } from '../../shared/contract';
import type { CallOutcome } from '../../shared/wire';
import { appError, toErrorInfo, type BlksnapError } from '../../shared/errors';

/** What a transport knows about a call beyond its arguments. */
export interface CallContext {
  /** Aborted when the caller is gone (socket closed, page destroyed): long waits end early. */
  signal?: AbortSignal;
}

export async function callValidated(api: BlksnapApi, method: unknown, args: unknown, context: CallContext = {}): Promise<CallOutcome> {
  if (!isApiMethod(method)) {
    const name = typeof method === 'string' ? method.slice(0, 64) : typeof method;
    return { ok: false, error: appError('EBADARG', `Unknown method ${JSON.stringify(name)}`, { field: 'method', expected: 'a method of the BlksnapApi contract' }).toInfo() };
  }
  if (args === null) {
    return { ok: false, error: appError('EBADARG', `${method}: arguments are an object ({} for none), not null`, { method, field: '(arguments)', expected: 'an object' }).toInfo() };
  }
  const parsed = API[method].args.safeParse(args ?? {});
  if (!parsed.success) return { ok: false, error: validationError(method, parsed.error).toInfo() };
  // The schemas strip fields they do not know; a misspelled `force` must not be silently dropped.
  const unknown = unknownField(args ?? {}, parsed.data, []);
  if (unknown) {
    return { ok: false, error: appError('EBADARG', `${method}: ${unknown}: unexpected field (misspelled?)`, { method, field: unknown, expected: 'only the fields of the contract' }).toInfo() };
  }
  try {
    const fn = api[method] as (a: unknown, c: CallContext) => Promise<unknown>;
    return { ok: true, result: await fn.call(api, parsed.data, context) };
  } catch (err) {
    const error = toErrorInfo(err);
    error.operation ??= method;
    return { ok: false, error };
  }
}

/** The path of the first field of `input` the parsed value no longer has (stripped as unknown); null when none. */
export function unknownField(input: unknown, parsed: unknown, path: string[]): string | null {
  if (input instanceof Uint8Array || typeof input !== 'object' || input === null) return null;
  if (typeof parsed !== 'object' || parsed === null) return null;
  if (Array.isArray(input)) {
    if (!Array.isArray(parsed)) return null;
    for (let i = 0; i < input.length; i++) {
      const found = unknownField(input[i], parsed[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(input)) {
    const here = [...path, key];
    if (!Object.hasOwn(parsed, key)) return here.join('.');
    const found = unknownField((input as Record<string, unknown>)[key], (parsed as Record<string, unknown>)[key], here);
    if (found) return found;
  }
  return null;
}

/** A zod failure as EBADARG naming the first offending field and what was expected. */
export function validationError(method: string, error: z.ZodError): BlksnapError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(arguments)';
  const expected = issue ? describeIssue(issue) : 'valid arguments';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  const err = appError('EBADARG', `${method}: ${field}: ${expected}${more}`, { method, field, expected, issues: error.issues.length });
  return err;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'unrecognized_keys') return `unexpected field(s) ${issue.keys.join(', ')}`;
  return issue.message;
}
