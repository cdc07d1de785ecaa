// Service-mode log lines: logfmt on stderr, with the syslog priority prefix journald reads
// (PRIORITY=) only when stderr is the journal.
import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine } from '../../../electron/serve/log';

describe('service-mode logs', () => {
  it('writes level, message and fields as logfmt, quoting what needs it', () => {
    expect(formatLogLine('info', 'service started', { ui: 'http://127.0.0.1:9731', pid: 42, note: 'two words', gone: undefined, none: null }))
      .toBe('level=info msg="service started" ui=http://127.0.0.1:9731 pid=42 note="two words" none=null');
    expect(formatLogLine('error', 'a "quoted" message', { path: 'a=b' })).toBe('level=error msg="a \\"quoted\\" message" path="a=b"');
  });

  it('prefixes the syslog priority under journald (JOURNAL_STREAM) and not elsewhere', () => {
    const lines: string[] = [];
    createLogger((l) => lines.push(l), { JOURNAL_STREAM: '8:12345' }).warning('storage almost full', { snapshot: 's1' });
    createLogger((l) => lines.push(l), { JOURNAL_STREAM: '8:12345' }).error('overflow');
    createLogger((l) => lines.push(l), {}).info('plain');
    expect(lines).toEqual(['<4>level=warning msg="storage almost full" snapshot=s1\n', '<3>level=error msg="overflow"\n', 'level=info msg="plain"\n']);
  });
});
