// Service-mode options: fixed defaults a server needs, the state directory where root and
// systemd expect it, and clear errors.
import { describe, expect, it } from 'vitest';
import { defaultStateDir } from '../../../electron/app/options';
import { DEFAULT_UI_PORT, parseServeOptions } from '../../../electron/serve/options';

describe('parseServeOptions', () => {
  it('defaults to loopback on fixed ports and the metrics listener on', () => {
    const o = parseServeOptions([], { XDG_STATE_HOME: '/home/u/.local/state' });
    expect(o).toMatchObject({ host: '127.0.0.1', port: DEFAULT_UI_PORT, metricsListen: { host: '127.0.0.1', port: 9730 }, webConfigFile: null, backend: 'auto' });
    expect(o.stateDir).toBe('/home/u/.local/state/blksnap-manager');
    expect(o.emulatorDir).toBe('/home/u/.local/state/blksnap-manager/emulator');
  });

  it('turns the metrics listener off or moves it, and takes the state directory given', () => {
    expect(parseServeOptions(['--serve', '--metrics-listen', 'off'], {}).metricsListen).toBeNull();
    expect(parseServeOptions(['--metrics-listen', '[::1]:9100', '--state-dir', '/srv/b'], {})).toMatchObject({ metricsListen: { host: '::1', port: 9100 }, stateDir: '/srv/b', emulatorDir: '/srv/b/emulator' });
  });

  it('refuses bad input with the option named', () => {
    expect(() => parseServeOptions(['--metrics-listen', '9730'], {})).toThrow(/bad option: .*--metrics-listen.*is not ADDR:PORT/);
    expect(() => parseServeOptions(['--port', 'x'], {})).toThrow(/bad option: .*"x" is not a TCP port/);
    expect(() => parseServeOptions(['--metrics-listen', 'off', '--web-config', '/etc/w.yml'], {})).toThrow(/--web-config configures the metrics listener/);
    expect(() => parseServeOptions(['--frobnicate'], {})).toThrow(/bad option: unknown option '--frobnicate'/);
  });
});

describe('defaultStateDir', () => {
  it('is systemd\'s StateDirectory, else XDG, else /var/lib for root, else ~/.local/state', () => {
    expect(defaultStateDir({ STATE_DIRECTORY: '/var/lib/blksnap-manager' }, 1000)).toBe('/var/lib/blksnap-manager');
    expect(defaultStateDir({ XDG_STATE_HOME: '/x' }, 0)).toBe('/x/blksnap-manager');
    expect(defaultStateDir({}, 0)).toBe('/var/lib/blksnap-manager');
    expect(defaultStateDir({}, 1000)).toMatch(/\/\.local\/state\/blksnap-manager$/);
  });
});
