// Where a verb's results go: the upstream tool's text lines, or with --json one JSON document
// per result (verbs that report as they go, like snapshot_watcher, print JSON lines).

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
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
}

/** The process's own streams. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};
