// The blksnapctl process: arguments in, exit code out. Bundled to dist/cli/blksnapctl.cjs, which
// dist/cli/blksnapctl.mjs runs, as bin/blksnapctl.cjs (what npm link installs) does directly.
// A first SIGINT or SIGTERM stops long-running verbs (watcher, workload) cleanly; a second one
// exits at once.
import { runCli } from './main';
import { processIo } from './output';

const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    interrupt.abort();
  });
}

// No top-level await: the bundle is CommonJS (run through the V8 code cache, electron/app/codeCache.ts).
// The service may leave timers behind; stdout and stderr are synchronous for files and pipes on Linux.
void runCli(process.argv.slice(2), processIo, { signal: interrupt.signal }).then((code) => process.exit(code));
