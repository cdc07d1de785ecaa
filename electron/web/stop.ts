// Stopping a served service on SIGINT/SIGTERM, the same in web mode and service mode: the
// runtime file goes first (blksnapctl no longer finds a server that is going away), then what
// was started is closed in the order given (a failure does not stop the rest), then exit 0.
// The runtime file is also removed on any other exit.
import { removeIfOurs } from './runtime';

export interface Closable {
  close(): Promise<void>;
}

/** `runtimeFile` is asked at stop time: service mode writes a new one when the token changes. */
export function stopOnSignals(runtimeFile: () => string, say: (signal: string) => void, closeInOrder: readonly (Closable | null | undefined)[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(signal);
    removeIfOurs(runtimeFile());
    for (const part of closeInOrder) await part?.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('exit', () => removeIfOurs(runtimeFile()));
}
