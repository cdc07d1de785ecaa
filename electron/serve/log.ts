// Service-mode logs: one line per entry on stderr, logfmt (`level=info msg="..." key=value`).
// Under systemd (JOURNAL_STREAM set: stderr is the journal) each line starts with the syslog
// priority `<N>`, which journald strips and stores as PRIORITY, so `journalctl -p warning`
// filters by it; elsewhere the prefix would only be noise.

export type LogLevel = 'error' | 'warning' | 'info' | 'debug';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const PRIORITY: Record<LogLevel, number> = { error: 3, warning: 4, info: 6, debug: 7 };

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
}

function logfmtValue(value: string): string {
  return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
}

/** One log line (without the newline). */
export function formatLogLine(level: LogLevel, message: string, fields: LogFields = {}, journald = false): string {
  const parts = [`level=${level}`, `msg=${JSON.stringify(message)}`];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${logfmtValue(String(value))}`);
  }
  return `${journald ? `<${PRIORITY[level]}>` : ''}${parts.join(' ')}`;
}

export function createLogger(write: (line: string) => void = (line) => void process.stderr.write(line), env: NodeJS.ProcessEnv = process.env): Logger {
  const journald = Boolean(env.JOURNAL_STREAM);
  const log = (level: LogLevel, message: string, fields?: LogFields) => write(`${formatLogLine(level, message, fields, journald)}\n`);
  return {
    log,
    error: (m, f) => log('error', m, f),
    warning: (m, f) => log('warning', m, f),
    info: (m, f) => log('info', m, f),
  };
}
