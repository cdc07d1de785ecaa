// Service mode entry (`blksnap-manager serve`, `npm start -- --serve`, the systemd unit): the
// same service as the app, headless, on a fixed address with the persistent token of the state
// directory, the read-only metrics listener, and logs for journald on stderr. SIGHUP reloads
// the token (blksnapctl token rotate sends it); SIGTERM/SIGINT stop cleanly.
import { bootService } from '../app/boot';
import { ensureStateDir } from '../app/stateFiles';
import { createMetricsCollector } from '../metrics/collector';
import { startMetricsListener, type MetricsListener } from '../metrics/listener';
import { TakeClock } from '../metrics/takeClock';
import { loadWebConfig } from '../metrics/webConfig';
import { startWebServer } from '../web/server';
import { remoteAccessProblem, type RemoteAccess } from '../web/remote';
import { rendererDir, writeRuntimeFile } from '../web/runtime';
import { stopOnSignals } from '../web/stop';
import { createLogger, type LogLevel } from './log';
import { parseServeOptions, SERVE_USAGE } from './options';
import { loadOrCreateToken, readToken, tokenPath } from './token';

const log = createLogger();

async function main(): Promise<void> {
  const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === 'serve'));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SERVE_USAGE);
    return;
  }
  const options = parseServeOptions(argv);
  const remote: RemoteAccess = { allowRemote: options.allowRemote, tlsCertFile: options.tlsCertFile, tlsKeyFile: options.tlsKeyFile };
  const problem = remoteAccessProblem(options.host, options.port, remote);
  if (problem) throw new Error(problem);
  ensureStateDir(options.stateDir);
  const token = loadOrCreateToken(options.stateDir);
  const webConfig = options.webConfigFile ? loadWebConfig(options.webConfigFile) : null;

  const booted = await bootService(options);
  const { service } = booted;
  const takes = new TakeClock(options.stateDir);
  const unfollow = takes.follow(service);
  const unlog = service.subscribe('events', (events) => {
    for (const e of events) {
      const level: LogLevel = e.level === 'error' ? 'error' : e.level === 'warning' ? 'warning' : 'info';
      log.log(level, e.message, { source: e.source, kind: e.kind, snapshot: e.snapshotId, device: e.device });
    }
  });
  const collector = createMetricsCollector(service, takes);
  const server = await startWebServer({ service, host: options.host, port: options.port, staticDir: rendererDir(), token, metrics: collector, remote });
  let runtimeFile = writeRuntimeFile(options.emulatorDir, server);
  let metrics: MetricsListener | null = null;
  if (options.metricsListen) metrics = await startMetricsListener({ collector, listen: options.metricsListen, webConfig });
  const info = booted.control.info;
  log.info('blksnap Manager service started', {
    backend: info.kind, dialect: info.dialect, ui: server.origin, token_file: tokenPath(options.stateDir),
    metrics: metrics?.url ?? 'off', state_dir: options.stateDir, pid: process.pid,
  });

  process.on('SIGHUP', () => {
    try {
      const next = readToken(options.stateDir) ?? loadOrCreateToken(options.stateDir);
      if (next === server.token) return log.info('SIGHUP: the token is unchanged');
      server.setToken(next);
      runtimeFile = writeRuntimeFile(options.emulatorDir, server);
      log.info('SIGHUP: token reloaded; connections with the old token were closed', { token_file: tokenPath(options.stateDir) });
    } catch (err) {
      log.error('SIGHUP: the token could not be reloaded; the old one stays', { error: (err as Error).message });
    }
  });
  const unsubscribe = {
    close: async () => {
      unfollow();
      unlog();
    },
  };
  stopOnSignals(() => runtimeFile, (signal) => log.info('stopping', { signal }), [unsubscribe, metrics, server, booted]);
}

main().catch((err: unknown) => {
  log.error('blksnap Manager service could not start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
