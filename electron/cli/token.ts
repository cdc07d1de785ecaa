// `blksnapctl token show|rotate [--state-dir DIR]`: the service mode's persistent access token
// (<state dir>/token, 0600; electron/serve/token.ts). `show` prints it (and, on stderr, the URL
// of the running service); `rotate` writes a new one and sends SIGHUP to the running service,
// which reloads it and closes the connections made with the old one.
import { Command, CommanderError } from 'commander';
import { join } from 'node:path';
import { defaultStateDir } from '../app/options';
import { readToken, rotateToken, tokenPath } from '../serve/token';
import { UsageError } from './argv';
import { runningApp } from './connect';
import type { GlobalOptions } from './globals';
import type { Output } from './output';

export const TOKEN_USAGE = `token show|rotate [--state-dir DIR]:
\tThe service mode's access token (DIR/token, default state directory
\t/var/lib/blksnap-manager as root, else ~/.local/state/blksnap-manager).
\tshow: print it (the running service's URL goes to stderr). rotate: make a
\tnew one; a running service reloads it and drops connections using the old.
`;

const RELOAD_WAIT_MS = 3000;

interface TokenArgs {
  action: 'show' | 'rotate';
  stateDir: string;
}

function parseTokenArgs(argv: readonly string[], env: NodeJS.ProcessEnv): TokenArgs {
  const cmd = new Command('token').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .helpOption(false).argument('<action>').option('--state-dir <dir>', '', defaultStateDir(env));
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(`token: ${err.message.replace(/^error: /, '')} (usage: token show|rotate [--state-dir DIR])`);
    throw err;
  }
  const action = cmd.args[0];
  if (action !== 'show' && action !== 'rotate') throw new UsageError(`token: "${action}" is not an action (show or rotate)`);
  return { action, stateDir: cmd.opts<{ stateDir: string }>().stateDir };
}

/** The service announced in the state directory's emulator dir, or in the --emulator-dir given. */
function serviceOf(stateDir: string, globals: GlobalOptions) {
  return runningApp(join(stateDir, 'emulator')) ?? runningApp(globals.emulatorDir);
}

export async function runTokenCommand(argv: readonly string[], out: Output, globals: GlobalOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const { action, stateDir } = parseTokenArgs(argv, env);
  const file = tokenPath(stateDir);
  if (action === 'show') {
    const token = readToken(stateDir);
    if (token === null) throw new Error(`no token in ${file}: the service makes one at its first start (or run blksnapctl token rotate)`);
    const app = serviceOf(stateDir, globals);
    out.line(token);
    out.record({ token, tokenFile: file, url: app?.token === token ? app.url : null, pid: app?.pid ?? null });
    if (app?.token === token && !out.json) out.error(`running service (pid ${app.pid}): ${app.url}`);
    return;
  }
  const token = rotateToken(stateDir);
  const app = serviceOf(stateDir, globals);
  let reloaded = false;
  if (app) {
    try {
      process.kill(app.pid, 'SIGHUP');
    } catch (err) {
      throw new Error(`wrote a new token to ${file}, but could not signal the running service (pid ${app.pid}): ${(err as Error).message}; restart it`, { cause: err });
    }
    const deadline = Date.now() + RELOAD_WAIT_MS;
    while (!reloaded && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      reloaded = serviceOf(stateDir, globals)?.token === token;
    }
  }
  out.line(token);
  out.record({ token, tokenFile: file, pid: app?.pid ?? null, reloaded });
  if (app && !reloaded) throw new Error(`wrote a new token to ${file}, but the running service (pid ${app.pid}) did not reload it within ${RELOAD_WAIT_MS / 1000} s; restart it`);
  if (!out.json) out.error(app ? `the running service (pid ${app.pid}) now requires the new token` : `wrote ${file}; no running service to tell`);
}
