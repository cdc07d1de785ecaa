// A command of blksnapctl: its options (boost-style, see ../argv.ts), its one-line purpose for
// the help, and what it does with the service.
import type { BlksnapApi } from '../../../shared/contract';
import type { BackendInfo } from '../../../shared/schemas';
import type { OptionSpec, ParsedArgs } from '../argv';
import type { GlobalOptions } from '../globals';
import type { Output } from '../output';

export interface VerbContext {
  out: Output;
  globals: GlobalOptions;
  /** The service, connected on first use (so usage errors never touch the backend). */
  api(): Promise<BlksnapApi>;
  /** Aborted on SIGINT: long-running verbs (watcher, workload) stop cleanly. */
  signal: AbortSignal;
  /** Long-running verbs: let other blksnapctl runs reach this run's service meanwhile (no-op when remote). */
  share(): Promise<void>;
}

export interface Verb {
  name: string;
  purpose: string;
  options: OptionSpec[];
  run(ctx: VerbContext, args: ParsedArgs): Promise<void>;
}

export const HELP_OPTION: OptionSpec = { long: 'help', short: 'h', kind: 'switch', description: 'Print usage for command.' };

/** The upstream tool's json switch: accepted, and always refused (spec §7.1). */
export const UPSTREAM_JSON_OPTION: OptionSpec = {
  long: 'json',
  short: 'j',
  kind: 'switch',
  description: "Use json format for output. As in the upstream tool this fails \"not supported yet\"; blksnapctl's --json works.",
};

export const DEVICE_OPTION: OptionSpec = { long: 'device', short: 'd', kind: 'value', description: 'Device name.' };
export const ID_OPTION: OptionSpec = { long: 'id', short: 'i', kind: 'value', description: 'Snapshot uuid.' };

/** A verb's options with -h/--help first, as every upstream command has. */
export function withHelp(...options: OptionSpec[]): OptionSpec[] {
  return [HELP_OPTION, ...options];
}

export async function backendInfo(ctx: VerbContext): Promise<BackendInfo> {
  return (await ctx.api()).backendInfo({});
}
