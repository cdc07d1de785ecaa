// The blksnapctl process: arguments in, exit code out. Bundled to dist/cli/blksnapctl.mjs and
// started by bin/blksnapctl.mjs. A first SIGINT or SIGTERM stops long-running verbs (watcher,
// workload) cleanly; a second one exits at once.
import { runCli } from './main';
import { processIo } from './output';

const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    interrupt.abort();
  });
}

const code = await runCli(process.argv.slice(2), processIo, { signal: interrupt.signal });
// The service may leave timers behind; stdout and stderr are synchronous for files and pipes on Linux.
process.exit(code);
