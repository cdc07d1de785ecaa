// Command-line options of the app (npm start, the Electron main process, web mode).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DIALECT_IDS, isDialectId } from '../../shared/ids';
import type { DialectId } from '../../shared/schemas';
import { FLAVOURS, type Flavour } from '../control/emulator/flavours';
import { parseListenAddress, type ListenAddress } from '../metrics/listener';

export type BackendChoice = 'auto' | 'kernel' | 'emulator';
export type EmulatedFlavour = Flavour;
/** The --emulate choices: every flavour the emulator has. */
export const EMULATED_FLAVOURS: readonly string[] = FLAVOURS;

export interface AppOptions {
  /** Force web mode even where the Electron binary runs. */
  web: boolean;
  host: string;
  /** 0 = a free port. */
  port: number;
  emulatorDir: string;
  backend: BackendChoice;
  /** Force a kernel dialect instead of probing. */
  dialect: DialectId | null;
  emulate: EmulatedFlavour;
  /** Web mode: open the URL in a browser (off in CI and tests). */
  openBrowser: boolean;
  /** The read-only Prometheus listener: off (null) unless asked for in the desktop app and web mode. */
  metricsListen: ListenAddress | null;
  /** Its basic auth / TLS (exporters' web-config.yml format). */
  webConfigFile: string | null;
  /** Web mode beyond loopback: needs allowRemote and both TLS files (electron/web/remote.ts). */
  allowRemote: boolean;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
}

function parseMetricsListen(value: string): ListenAddress {
  try {
    return parseListenAddress(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Where root keeps the state: the service's token, the emulator, runtime.json (FHS /var/lib). */
export const SYSTEM_STATE_DIR = '/var/lib/blksnap-manager';

/**
 * The state directory: systemd's $STATE_DIRECTORY (StateDirectory= in the unit), else an
 * explicit $XDG_STATE_HOME/blksnap-manager, else /var/lib/blksnap-manager for root, else
 * ~/.local/state/blksnap-manager. The service, the app and blksnapctl agree on it, so the CLI
 * finds the running service without options (sudo and root shells carry no XDG_STATE_HOME).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string {
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd && systemd.startsWith('/')) return systemd;
  if (env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/')) return join(env.XDG_STATE_HOME, 'blksnap-manager');
  if (uid === 0) return SYSTEM_STATE_DIR;
  return join(homedir(), '.local', 'state', 'blksnap-manager');
}

/** The emulator's state: <state dir>/emulator. */
export function defaultEmulatorDir(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string {
  return join(defaultStateDir(env, uid), 'emulator');
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`"${value}" is not a TCP port (0-65535; 0 picks a free one)`);
  return port;
}

export function parseDialect(value: string): DialectId {
  if (!isDialectId(value)) throw new InvalidArgumentError(`"${value}" is not a dialect (one of ${DIALECT_IDS.join(', ')})`);
  return value;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Parses argv (without node and script). Throws an Error with a clear message on bad input. */
export function parseAppOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): AppOptions {
  const cmd = new Command('blksnap-manager')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .allowExcessArguments(false)
    .option('--web', 'serve the app on a local URL instead of opening the Electron window', false)
    .option('--host <host>', 'web mode: address to bind (a non-loopback address exposes the app on the network)', '127.0.0.1')
    .option('--port <port>', 'web mode: TCP port (0 = any free port)', parsePort, 0)
    .option('--emulator-dir <dir>', 'state directory of the emulator', defaultEmulatorDir(env))
    .addOption(new Option('--backend <backend>', 'control backend').choices(['auto', 'kernel', 'emulator']).default('auto'))
    .option('--dialect <dialect>', 'force a kernel dialect instead of probing', parseDialect)
    .addOption(new Option('--emulate <flavour>', 'emulator flavour').choices(EMULATED_FLAVOURS).default('upstream'))
    .option('--no-open', 'web mode: do not open a browser')
    .option('--metrics-listen <addr>', 'read-only Prometheus listener ADDR:PORT (default off)', parseMetricsListen)
    .option('--web-config <file>', 'basic auth / TLS for the metrics listener')
    .option('--allow-remote', 'web mode: allow a non-loopback --host (needs --tls-cert and --tls-key)', false)
    .option('--tls-cert <file>', 'web mode: serve https/wss with this PEM certificate')
    .option('--tls-key <file>', 'web mode: the PEM private key of --tls-cert');
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (err) {
    throw new Error(`bad option: ${(err as Error).message.replace(/^error: /, '')}`, { cause: err });
  }
  const o = cmd.opts<{
    web: boolean; host: string; port: number; emulatorDir: string; backend: BackendChoice; dialect?: DialectId; emulate: EmulatedFlavour; open: boolean;
    metricsListen?: ListenAddress; webConfig?: string; allowRemote: boolean; tlsCert?: string; tlsKey?: string;
  }>();
  if (o.webConfig && !o.metricsListen) throw new Error('bad option: --web-config configures the metrics listener; give --metrics-listen ADDR:PORT too');
  return {
    web: o.web,
    host: o.host,
    port: o.port,
    emulatorDir: o.emulatorDir,
    backend: o.backend,
    dialect: o.dialect ?? null,
    emulate: o.emulate,
    openBrowser: o.open && !env.CI,
    metricsListen: o.metricsListen ?? null,
    webConfigFile: o.webConfig ?? null,
    allowRemote: o.allowRemote,
    tlsCertFile: o.tlsCert ?? null,
    tlsKeyFile: o.tlsKey ?? null,
  };
}
