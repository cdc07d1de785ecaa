import { describe, expect, it } from 'vitest';
import { expandLongPrefixes, parseVerbArgs, UsageError, type OptionSpec } from '../../../electron/cli/argv';
import { extractGlobalOptions } from '../../../electron/cli/globals';
import { formatOptions } from '../../../electron/cli/usage';

const OPTIONS: OptionSpec[] = [
  { long: 'help', short: 'h', kind: 'switch', description: 'Print usage for command.' },
  { long: 'file', short: 'f', kind: 'value', description: 'File name with dirty blocks.' },
  { long: 'device', short: 'd', kind: 'value', description: 'Device name.' },
  { long: 'ranges', short: 'r', kind: 'vector', description: "Sectors range in format 'sector:count'. It's multitoken argument." },
];

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('no UsageError');
}

describe('boost-style option parsing', () => {
  it('accepts a unique prefix of a long option', () => {
    const args = parseVerbArgs(['--dev', '/dev/sdb', '--range', '0:8'], OPTIONS);
    expect(args.value('device')).toBe('/dev/sdb');
    expect(args.vector('ranges')).toEqual(['0:8']);
  });

  it('accepts a prefix with =value', () => {
    expect(parseVerbArgs(['--dev=/dev/sdc'], OPTIONS).value('device')).toBe('/dev/sdc');
  });

  it('refuses an ambiguous prefix naming the candidates', () => {
    const opts: OptionSpec[] = [...OPTIONS, { long: 'depth', kind: 'value', description: 'x' }];
    expect(usageError(() => expandLongPrefixes(['--de', 'x'], opts))).toBe("option '--de' is ambiguous and matches '--device', '--depth'");
  });

  it('takes several values after one vector option (multitoken)', () => {
    expect(parseVerbArgs(['-r', '0:8', '16:8', '64:1', '-d', '/dev/x'], OPTIONS).vector('ranges')).toEqual(['0:8', '16:8', '64:1']);
  });

  it('collects a repeated vector option', () => {
    expect(parseVerbArgs(['-r', '0:8', '-d', '/dev/x', '--ranges', '9:1', '10:1'], OPTIONS).vector('ranges')).toEqual(['0:8', '9:1', '10:1']);
  });

  it('refuses a repeated scalar option', () => {
    expect(usageError(() => parseVerbArgs(['-d', '/dev/a', '-d', '/dev/b'], OPTIONS))).toBe("option '--device' cannot be specified more than once");
  });

  it('reports an unknown option as boost does', () => {
    expect(usageError(() => parseVerbArgs(['--bogus'], OPTIONS))).toBe("unrecognised option '--bogus'");
    expect(usageError(() => parseVerbArgs(['-x'], OPTIONS))).toBe("unrecognised option '-x'");
  });

  it('reports a missing value as boost does', () => {
    expect(usageError(() => parseVerbArgs(['-d'], OPTIONS))).toBe("the required argument for option '--device' is missing");
  });

  it('refuses positional arguments', () => {
    expect(usageError(() => parseVerbArgs(['/dev/sdb'], OPTIONS))).toBe('too many positional options have been specified on the command line');
  });

  it('reads sticky short values and switches', () => {
    const args = parseVerbArgs(['-d/dev/sdb', '-h'], OPTIONS);
    expect(args.value('device')).toBe('/dev/sdb');
    expect(args.has('help')).toBe(true);
  });

  it('words a missing required argument as the upstream tool', () => {
    expect(usageError(() => parseVerbArgs([], OPTIONS).required('device'))).toBe("Argument 'device' is missed.");
    expect(usageError(() => parseVerbArgs([], OPTIONS).requiredVector('ranges'))).toBe("Argument 'ranges' is missed.");
  });
});

describe('blksnapctl options', () => {
  it('are taken out wherever they stand, leaving the rest in order', () => {
    const { globals, rest } = extractGlobalOptions(['attach', '--backend', 'emulator', '-d', '/dev/x', '--emulator-dir=/tmp/e', '--json', '--emulate', 'v1'], {});
    expect(rest).toEqual(['attach', '-d', '/dev/x']);
    expect(globals).toEqual({ backend: 'emulator', emulatorDir: '/tmp/e', emulate: 'v1', dialect: null, json: true, explicit: ['backend', 'emulate'] });
  });

  it('default to auto, the per-user state directory and upstream', () => {
    const { globals } = extractGlobalOptions(['version'], { XDG_STATE_HOME: '/state' });
    expect(globals).toEqual({ backend: 'auto', emulatorDir: '/state/blksnap-manager/emulator', emulate: 'upstream', dialect: null, json: false, explicit: [] });
  });

  it('leave the upstream -j to the command', () => {
    expect(extractGlobalOptions(['cbtinfo', '-j', '-d', '/dev/x'], {}).rest).toEqual(['cbtinfo', '-j', '-d', '/dev/x']);
  });

  it('refuse an unknown backend, flavour or dialect', () => {
    expect(usageError(() => extractGlobalOptions(['version', '--backend', 'magic'], {}))).toMatch(/backend/);
    expect(usageError(() => extractGlobalOptions(['version', '--emulate', 'v9'], {}))).toMatch(/emulate/);
    expect(usageError(() => extractGlobalOptions(['version', '--dialect', 'v9'], {}))).toMatch(/not a dialect/);
  });
});

describe('usage layout', () => {
  it('prints options in boost columns, wrapping long descriptions', () => {
    expect(formatOptions(OPTIONS)).toBe(
      '  -h [ --help ]         Print usage for command.\n' +
      '  -f [ --file ] arg     File name with dirty blocks.\n' +
      '  -d [ --device ] arg   Device name.\n' +
      "  -r [ --ranges ] arg   Sectors range in format 'sector:count'. It's multitoken \n".trimEnd() + '\n' +
      '                        argument.\n',
    );
  });
});
