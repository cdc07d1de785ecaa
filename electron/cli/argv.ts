// Command-line parsing with the rules of the upstream tool's boost::program_options (spec §7.1):
// unique prefixes of long names are accepted (`--range` for `--ranges`), vector options are
// multitoken and repeatable, scalar options may be given once. commander does the tokenising
// (short groups, `--name=value`, variadic values); this file adds what boost does and
// commander does not, and words the errors as boost does.
import { Command, CommanderError, Option } from 'commander';

/** `value`: one string; `vector`: multitoken, repeatable; `switch`: no value. */
export type OptionKind = 'value' | 'vector' | 'switch';

export interface OptionSpec {
  long: string;
  short?: string;
  kind: OptionKind;
  description: string;
}

/** A mistake in how the tool was called: printed as is, exit code 1 (like the upstream tool). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What a verb was given, by long option name. */
export class ParsedArgs {
  constructor(private readonly values: ReadonlyMap<string, string | string[] | true>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  value(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  vector(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  /** The value of a required option, or the upstream tool's "Argument '<name>' is missed.". */
  required(name: string): string {
    const v = this.value(name);
    if (v === undefined) throw new UsageError(`Argument '${name}' is missed.`);
    return v;
  }

  requiredVector(name: string): string[] {
    const v = this.vector(name);
    if (v.length === 0) throw new UsageError(`Argument '${name}' is missed.`);
    return v;
  }
}

/** Replaces each `--prefix` (or `--prefix=value`) by the one long name it starts. */
export function expandLongPrefixes(argv: readonly string[], options: readonly OptionSpec[]): string[] {
  const names = options.map((o) => o.long);
  return argv.map((arg) => {
    if (!arg.startsWith('--') || arg === '--') return arg;
    const eq = arg.indexOf('=');
    const typed = arg.slice(2, eq < 0 ? undefined : eq);
    if (names.includes(typed)) return arg;
    const matches = names.filter((n) => n.startsWith(typed));
    if (matches.length > 1) {
      throw new UsageError(`option '--${typed}' is ambiguous and matches ${matches.map((m) => `'--${m}'`).join(', ')}`);
    }
    if (matches.length === 0) return arg;
    return `--${matches[0]}${eq < 0 ? '' : arg.slice(eq)}`;
  });
}

function flagsOf(o: OptionSpec): string {
  const names = o.short ? `-${o.short}, --${o.long}` : `--${o.long}`;
  if (o.kind === 'switch') return names;
  return o.kind === 'vector' ? `${names} <arg...>` : `${names} <arg>`;
}

function longNameIn(message: string): string {
  return /--([\w-]+)/.exec(message)?.[1] ?? /'(-\w)/.exec(message)?.[1] ?? '?';
}

/** boost's wording for commander's errors. */
function boostMessage(err: CommanderError): string {
  switch (err.code) {
    case 'commander.unknownOption': {
      const m = /'([^']+)'/.exec(err.message);
      return `unrecognised option '${m?.[1] ?? '?'}'`;
    }
    case 'commander.optionMissingArgument':
      return `the required argument for option '--${longNameIn(err.message)}' is missing`;
    case 'commander.excessArguments':
      return 'too many positional options have been specified on the command line';
    default:
      return err.message.replace(/^error: /, '');
  }
}

/** Parses one verb's arguments (everything after the verb name). */
export function parseVerbArgs(argv: readonly string[], options: readonly OptionSpec[]): ParsedArgs {
  const cmd = new Command()
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .helpOption(false)
    .allowExcessArguments(false)
    .allowUnknownOption(false);
  const declared = options.map((o) => {
    const option = new Option(flagsOf(o), o.description);
    if (o.kind === 'value') {
      option.argParser((value: string, previous: unknown) => {
        if (previous !== undefined) throw new UsageError(`option '--${o.long}' cannot be specified more than once`);
        return value;
      });
    }
    cmd.addOption(option);
    return { spec: o, option };
  });
  try {
    cmd.parse(expandLongPrefixes(argv, options), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(boostMessage(err));
    throw err;
  }
  const raw = cmd.opts<Record<string, string | string[] | boolean | undefined>>();
  const values = new Map<string, string | string[] | true>();
  for (const { spec, option } of declared) {
    const v = raw[option.attributeName()];
    if (v === undefined || v === false) continue;
    values.set(spec.long, v);
  }
  return new ParsedArgs(values);
}
