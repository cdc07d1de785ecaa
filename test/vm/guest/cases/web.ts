// The app's web mode on the kernel backend: the real entry (dist/web/main.mjs) in its own
// process, its page and token check over HTTP, and the API over its WebSocket driving the module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectRemote } from '../../../../electron/cli/remote';
import { parseRuntimeInfo } from '../../../../electron/cli/connect';
import { RunningProcess, type VmArea } from '../harness';
import { check, equal, SMALL_MINIMUM_SECTORS } from './util';

export const web: VmArea = {
  area: 'web mode',
  cases: [
    {
      name: 'serves the page with a token and drives the module over the WebSocket API',
      timeoutMs: 420_000,
      async run(ctx) {
        if (ctx.guest.dialect === 'v1') await ctx.setModuleParameter('diff_storage_minimum', SMALL_MINIMUM_SECTORS);
        const dialect = ctx.guest.forceDialect ? ['--dialect', ctx.guest.dialect] : [];
        const app = new RunningProcess(process.execPath, ['/app/dist/web/main.mjs', '--web', '--no-open', '--backend', 'kernel', ...dialect, '--emulator-dir', ctx.stateDir]);
        try {
          const url = new URL((await app.waitFor(/http:\/\/127\.0\.0\.1:\d+\/\?token=\w+/, 90_000))[0]);
          const page = await fetch(url);
          equal(page.status, 200, 'GET / with the token');
          check((await page.text()).includes('<html'), 'GET / is the app page');
          // The page itself is public; what reads the service needs the token.
          const denied = await fetch(new URL('/metrics', url.origin));
          equal(denied.status, 401, 'GET /metrics without the token');

          const runtime = parseRuntimeInfo(JSON.parse(readFileSync(join(ctx.stateDir, 'runtime.json'), 'utf8')));
          if (!runtime) throw new Error('runtime.json does not hold pid, url, token and port');
          const refused = await connectRemote({ ...runtime, token: 'wrong' }).then((c) => c.close().then(() => 'connected'), (e: Error) => e.message);
          check(refused !== 'connected', 'the WebSocket accepted a wrong token');
          const conn = await connectRemote(runtime);
          try {
            const api = conn.api;
            const info = await api.backendInfo({});
            equal([info.kind, info.dialect], ['kernel', ctx.guest.dialect], 'backendInfo over the web transport');
            const devices = await api.listDevices({});
            check(devices.some((d) => d.path === ctx.dev), `listDevices has no ${ctx.dev}: ${devices.map((d) => d.path).join(' ')}`);
            const v1 = ctx.guest.dialect === 'v1';
            if (!v1) await api.attach({ device: ctx.dev });
            const storage = `${ctx.storeDir}/web-${Date.now()}`;
            await ctx.shOk(`mkdir -p ${storage}`);
            const { id } = await api.snapshotCreate({ diffStoragePath: storage, diffStorageLimitSectors: (256 * 2 ** 20) / 512, devices: v1 ? [ctx.dev] : [] });
            if (!v1) await api.snapshotAdd({ id, device: ctx.dev });
            await api.snapshotTake({ id });
            const list = await api.listSnapshots({});
            const mine = list.find((s) => s.id === id);
            check(mine?.taken === true, `listSnapshots: ${JSON.stringify(list).slice(0, 400)}`);
            await api.snapshotDestroy({ id });
            equal((await api.listSnapshots({})).map((s) => s.id), [], 'listSnapshots after destroy');
          } finally {
            await conn.close();
          }
        } finally {
          const code = await app.stop();
          ctx.note(`web mode exit ${code}`);
        }
      },
    },
  ],
};
