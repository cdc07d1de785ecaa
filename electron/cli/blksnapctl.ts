// The blksnapctl process: arguments in, exit code out. Bundled to dist/cli/blksnapctl.mjs and
// started by bin/blksnapctl.mjs. A first SIGINT stops long-running verbs (watcher, workload)
// cleanly; a second one exits at once.
import { runCli } from './main';
import { processIo } from './output';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});

const code = await runCli(process.argv.slice(2), processIo, { signal: interrupt.signal });
// The service may leave timers behind; stdout and stderr are synchronous for files and pipes on Linux.
process.exit(code);
