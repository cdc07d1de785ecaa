// Where a verb's results go: the upstream tool's text lines, or with --json one JSON document
// per result (verbs that report as they go, like snapshot_watcher, print JSON lines).
import { progress, type Progress } from './progress';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Where progress bars go when it is a terminal (the process's stderr); absent in tests. */
  terminal?: NodeJS.WritableStream & { isTTY?: boolean };
}

export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** A line of the text output; nothing in JSON mode. */
  line(text: string): void {
    if (!this.json) this.io.stdout(`${text}\n`);
  }

  /** A JSON document on its own line; nothing in text mode. */
  record(value: unknown): void {
    if (this.json) this.io.stdout(`${JSON.stringify(value)}\n`);
  }

  /** Text written as is in either mode (CSV asked for explicitly). */
  raw(text: string): void {
    this.io.stdout(text);
  }

  error(text: string): void {
    this.io.stderr(`${text}\n`);
  }

  /** A progress bar for work longer than about a second, on a terminal only, never with --json. */
  progress(label: string, total: number, unit: 'bytes' | 'ms'): Progress {
    return progress(this.json || !this.io.terminal ? null : { stream: this.io.terminal }, label, total, unit);
  }
}

/** The process's own streams; stderr is made when first written to or asked for a progress bar. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  get terminal() {
    return process.stderr;
  },
};
