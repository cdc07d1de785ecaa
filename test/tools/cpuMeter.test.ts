// The benchmarks' CPU column (test/bench/_cpu.ts, rusage.c): µs, and every process a command
// started, also one whose parent exited first (npm start's node when the group is stopped).
// /proc's children total, the old column, counted 10 ms ticks and lost such orphans.
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuMeter, type CpuMeter } from '../bench/_cpu';
import { skipBecause } from '../skip';

const gcc = spawnSync('gcc', ['--version']).status === 0;
/** About 150 ms of CPU in a node process. */
const BUSY = `node -e "const t = process.cpuUsage(); while (process.cpuUsage(t).user < 150000);"`;

describe.skipIf(skipBecause('the benchmark CPU meter tests', !gcc && 'gcc is not installed', 'where gcc is (CI installs it for the kernel-client tests)'))('cpuMeter', () => {
  let meter: CpuMeter;
  beforeAll(() => {
    meter = cpuMeter();
  });
  afterAll(() => meter.close());

  /** Runs `sh -c script` under the meter: its CPU time, ms. */
  const measure = (script: string): number => {
    const [file, ...args] = meter.wrap(['sh', '-c', script]);
    meter.start();
    expect(spawnSync(file!, args).status).toBe(0);
    return meter.stop();
  };

  it('measures in µs, not 10 ms ticks', () => {
    expect(meter.how).toBe('wait4 rusage of the process tree, µs');
    const figures = [0, 1, 2, 3, 4].map(() => measure('exit 0'));
    expect(figures.every((f) => f > 0 && f < 50)).toBe(true);
    expect(figures.some((f) => f % 10 !== 0)).toBe(true);
  });

  it('counts a process whose parent exited first', () => {
    expect(measure(`${BUSY} & exit 0`)).toBeGreaterThan(100);
  });

  it('counts every process of a group stopped by a signal to the group, and waits for the last', async () => {
    const [file, ...args] = meter.wrap(['sh', '-c', `${BUSY}; node -e "setInterval(() => {}, 1000)" & echo ready; exec sleep 60`]);
    meter.start();
    const child = spawn(file!, args, { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    // Stopped once the busy part has run and the last process is started: no guess at how long
    // that takes on a loaded machine.
    await new Promise<void>((ready) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready()));
    process.kill(-child.pid!, 'SIGTERM');
    expect(await exited).toBe(128 + 15);
    expect(() => process.kill(-child.pid!, 0)).toThrow();
    expect(meter.stop()).toBeGreaterThan(150);
  });

  it('without gcc says its figures are 10 ms ticks', () => {
    const fallback = cpuMeter('no-such-cc');
    try {
      expect(fallback.how).toMatch(/^10 ms clock ticks of waited-for children only: gcc could not build test\/bench\/rusage\.c/);
    } finally {
      fallback.close();
    }
  });
});
