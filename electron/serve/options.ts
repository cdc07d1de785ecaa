// Options of the service mode (`blksnap-manager serve`, `npm start -- --serve`): the app's
// backend options plus fixed defaults a server needs, so addresses survive restarts.
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DialectId } from '../../shared/schemas';
import { defaultStateDir, parseDialect, parsePort, type AppOptions, type BackendChoice, type EmulatedFlavour, EMULATED_FLAVOURS } from '../app/options';
import { DEFAULT_METRICS_PORT, parseListenAddress, type ListenAddress } from '../metrics/listener';

/**
 * 9731: fixed so bookmarks, `ssh -L` and blksnapctl keep working across restarts; beside the
 * metrics port 9730 so one firewall rule or tunnel line covers both; neither is in
 * /etc/services. Loopback only by default: the UI is reached through an SSH tunnel.
 */
export const DEFAULT_UI_PORT = 9731;

export interface ServeOptions extends Pick<AppOptions, 'host' | 'port' | 'emulatorDir' | 'backend' | 'dialect' | 'emulate'> {
  stateDir: string;
  /** null: no metrics listener (--metrics-listen off). */
  metricsListen: ListenAddress | null;
  webConfigFile: string | null;
  /** The UI beyond loopback: needs allowRemote and both TLS files (electron/web/remote.ts). */
  allowRemote: boolean;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
}

/** "off" stays a word: commander would not keep a null an option parser returns. */
function parseListen(value: string): ListenAddress | 'off' {
  if (value === 'off') return 'off';
  try {
    return parseListenAddress(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export const SERVE_USAGE = `Usage: blksnap-manager serve [options]   (or: npm start -- --serve [options])

Runs blksnap Manager headless for a server: no window, no browser.
  --host <addr>             UI bind address (default 127.0.0.1; reach it with ssh -L)
  --port <n>                UI port (default ${DEFAULT_UI_PORT})
  --state-dir <dir>         token, take times, emulator (default /var/lib/blksnap-manager as
                            root, $STATE_DIRECTORY under systemd, else ~/.local/state/blksnap-manager)
  --emulator-dir <dir>      emulator state (default <state-dir>/emulator)
  --metrics-listen <a:p>    read-only Prometheus listener, no token (default 127.0.0.1:${DEFAULT_METRICS_PORT}; "off")
  --web-config <file>       basic auth (bcrypt) and TLS for the metrics listener, exporter format
  --allow-remote            allow a non-loopback --host for the UI (needs --tls-cert and --tls-key)
  --tls-cert <file>         serve the UI as https/wss with this PEM certificate
  --tls-key <file>          the PEM private key of --tls-cert
  --backend <b>             auto (default) | kernel | emulator
  --dialect <d>             force a kernel dialect: lk6.15 v7 v6 val-7.0 val-13 v1
  --emulate <f>             emulator flavour: upstream (default) | v7 | v6 | v1 | val-7.0 | val-13
`;

/** Parses the arguments after `serve`. Throws an Error with a clear message on bad input. */
export function parseServeOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const cmd = new Command('blksnap-manager serve')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .helpOption(false)
    .allowExcessArguments(false)
    .option('--serve', 'accepted (npm start -- --serve passes it on)')
    .option('--host <host>', '', '127.0.0.1')
    .option('--port <port>', '', parsePort, DEFAULT_UI_PORT)
    .option('--state-dir <dir>', '', defaultStateDir(env))
    .option('--emulator-dir <dir>')
    .option('--metrics-listen <addr>', '', parseListen, { host: '127.0.0.1', port: DEFAULT_METRICS_PORT })
    .option('--web-config <file>')
    .option('--allow-remote', '', false)
    .option('--tls-cert <file>')
    .option('--tls-key <file>')
    .addOption(new Option('--backend <backend>').choices(['auto', 'kernel', 'emulator']).default('auto'))
    .option('--dialect <dialect>', '', parseDialect)
    .addOption(new Option('--emulate <flavour>').choices(EMULATED_FLAVOURS).default('upstream'))
    .option('--no-open', 'accepted and ignored: the service never opens a browser');
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (err) {
    throw new Error(`bad option: ${(err as Error).message.replace(/^error: /, '')}`, { cause: err });
  }
  const o = cmd.opts<{
    host: string; port: number; stateDir: string; emulatorDir?: string; metricsListen: ListenAddress | 'off'; webConfig?: string;
    allowRemote: boolean; tlsCert?: string; tlsKey?: string;
    backend: BackendChoice; dialect?: DialectId; emulate: EmulatedFlavour;
  }>();
  const metricsListen = o.metricsListen === 'off' ? null : o.metricsListen;
  if (o.webConfig && !metricsListen) throw new Error('bad option: --web-config configures the metrics listener, which --metrics-listen off turned off');
  return {
    host: o.host,
    port: o.port,
    stateDir: o.stateDir,
    emulatorDir: o.emulatorDir ?? join(o.stateDir, 'emulator'),
    metricsListen,
    webConfigFile: o.webConfig ?? null,
    allowRemote: o.allowRemote,
    tlsCertFile: o.tlsCert ?? null,
    tlsKeyFile: o.tlsKey ?? null,
    backend: o.backend,
    dialect: o.dialect ?? null,
    emulate: o.emulate,
  };
}
