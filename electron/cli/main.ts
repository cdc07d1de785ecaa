// blksnapctl: the upstream blksnap tool's commands over blksnap Manager's service (spec §7.1),
// plus emulator verbs, doctor and --json. `runCli` is the whole tool minus the process: tests
// run it in-process with captured output and a connector of their choice.
import { APP_CODES, BlksnapError, ERRNO, isErrnoName, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { parseVerbArgs, UsageError } from './argv';
import { connectService, LazyConnection, type Connector } from './connect';
import { extractGlobalOptions, GLOBAL_OPTIONS_HELP } from './globals';
import { Output, type CliIo } from './output';
import { formatVerbUsage } from './usage';
import { runTokenCommand, TOKEN_USAGE } from './token';
import { VERBS } from './verbs';
import type { VerbContext } from './verbs/verb';

export interface CliDeps {
  /** How to reach the service (default: a running app's, else one booted in this process). */
  connect?: Connector;
  env?: NodeJS.ProcessEnv;
  /** Stops long-running verbs (SIGINT). */
  signal?: AbortSignal;
}

const HELP_WORDS = ['help', '--help', '-h'];

/** The upstream tool's `help`: every command with its options, then blksnapctl's own options. */
export function globalUsage(): string {
  let text = 'Usage:\n--help, -h or help:\n\tPrint this usage.\n<command> [arguments]:\n\tExecute the management command.\n\n';
  text += 'Available commands with arguments:\n';
  for (const name of [...VERBS.keys()].sort()) {
    const verb = VERBS.get(name)!;
    text += `${name}:\n${formatVerbUsage(verb.purpose, verb.options)}`;
  }
  return `${text}${TOKEN_USAGE}\n${GLOBAL_OPTIONS_HELP}`;
}

function meaningOf(code: string): string | undefined {
  if (isErrnoName(code)) return ERRNO[code][1];
  return Object.hasOwn(APP_CODES, code) ? APP_CODES[code as keyof typeof APP_CODES] : undefined;
}

/** `blksnapctl: <message>`, naming the error code and its meaning where the message does not. */
export function errorLine(info: ErrorInfo): string {
  const meaning = meaningOf(info.code);
  const named = info.message.includes(info.code) || !meaning;
  return `blksnapctl: ${info.message}${named ? '' : ` (${info.code}: ${meaning})`}`;
}

function report(io: CliIo, err: unknown, json: boolean): void {
  if (err instanceof UsageError) {
    io.stderr(`${err.message}\n`);
    if (json) io.stdout(`${JSON.stringify({ error: { code: 'EBADARG', message: err.message } })}\n`);
    return;
  }
  const info = err instanceof BlksnapError ? err.toInfo() : toErrorInfo(err);
  io.stderr(`${errorLine(info)}\n`);
  if (json) io.stdout(`${JSON.stringify({ error: info })}\n`);
}

/** Runs one blksnapctl command line (without node and the script); resolves the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  let json = false;
  let connection: LazyConnection | null = null;
  try {
    const { globals, rest } = extractGlobalOptions(argv, deps.env);
    json = globals.json;
    const [name, ...verbArgv] = rest;
    if (name === undefined) throw new UsageError('Command not found.');
    if (name === 'token') {
      await runTokenCommand(verbArgv, new Output(io, json), globals, deps.env ?? process.env);
      return 0;
    }
    const verb = VERBS.get(name);
    if (!verb) {
      if (!HELP_WORDS.includes(name)) throw new UsageError('Command is not set.');
      io.stdout(globalUsage());
      return 0;
    }
    const args = parseVerbArgs(verbArgv, verb.options);
    if (args.has('help')) {
      io.stdout(formatVerbUsage(verb.purpose, verb.options));
      return 0;
    }
    const signal = deps.signal ?? new AbortController().signal;
    const lazy = new LazyConnection(deps.connect ?? connectService, globals, (note) => io.stderr(`${note}\n`), signal);
    connection = lazy;
    const ctx: VerbContext = {
      out: new Output(io, json),
      globals,
      signal,
      api: async () => (await lazy.get()).api,
      share: async () => (await lazy.get()).share?.(),
    };
    await verb.run(ctx, args);
    return 0;
  } catch (err) {
    report(io, err, json);
    return 1;
  } finally {
    await connection?.close();
  }
}
