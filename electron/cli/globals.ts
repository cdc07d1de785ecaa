// blksnapctl's own options, accepted before or after the command: which backend to use and
// where the emulator keeps its state (the app's options, electron/app/options.ts), and --json.
// commander picks them out wherever they stand and leaves the rest, in order, to the command.
import { Command, CommanderError, Option } from 'commander';
import type { DialectId } from '../../shared/schemas';
import { defaultEmulatorDir, EMULATED_FLAVOURS, parseDialect, type BackendChoice, type EmulatedFlavour } from '../app/options';
import { UsageError } from './argv';

export interface GlobalOptions {
  backend: BackendChoice;
  emulatorDir: string;
  emulate: EmulatedFlavour;
  dialect: DialectId | null;
  /** Machine-readable output (our extension; the upstream `-j` always fails). */
  json: boolean;
  /** Which of backend, emulate, dialect were given on the command line (not defaults). */
  explicit: ('backend' | 'emulate' | 'dialect')[];
}

export const GLOBAL_OPTIONS_HELP = `blksnapctl options (before or after the command):
  --backend auto|kernel|emulator  control backend (default auto: the kernel
                                  module if one is found, else the emulator)
  --emulator-dir DIR              emulator state directory (default
                                  $XDG_STATE_HOME/blksnap-manager/emulator); when
                                  a running blksnap Manager owns it, blksnapctl
                                  talks to that app
  --emulate upstream|v7|v6|v1|val-7.0|val-13
                                  emulator flavour (default upstream)
  --dialect lk6.15|v7|v6|val-7.0|val-13|v1
                                  with --backend kernel: force a dialect
  --json                          machine-readable output: one JSON document per
                                  result (JSON lines for snapshot_watcher). The
                                  upstream tool's -j/--json switch of a command
                                  (and any abbreviation of it) keeps failing with
                                  "Argument 'json' is not supported yet."; only
                                  the exact --json is ours.
Exit code 0 on success, 1 on failure; errors name the errno and its meaning.
`;

/** Takes blksnapctl's options out of argv; the rest keeps its order. */
export function extractGlobalOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { globals: GlobalOptions; rest: string[] } {
  const cmd = new Command()
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .addOption(new Option('--backend <backend>').choices(['auto', 'kernel', 'emulator']).default('auto'))
    .option('--emulator-dir <dir>', '', defaultEmulatorDir(env))
    .addOption(new Option('--emulate <flavour>').choices(EMULATED_FLAVOURS).default('upstream'))
    .option('--dialect <dialect>', '', parseDialect)
    .option('--json', '', false);
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(err.message.replace(/^error: /, ''));
    throw err;
  }
  const o = cmd.opts<{ backend: BackendChoice; emulatorDir: string; emulate: EmulatedFlavour; dialect?: DialectId; json: boolean }>();
  const explicit = (['backend', 'emulate', 'dialect'] as const).filter((name) => cmd.getOptionValueSource(name) === 'cli');
  return {
    globals: { backend: o.backend, emulatorDir: o.emulatorDir, emulate: o.emulate, dialect: o.dialect ?? null, json: o.json, explicit },
    rest: cmd.args,
  };
}
