// snapshot_waitevent and snapshot_watcher (spec §7.1). The timeout goes to the service as
// ticks, as the module takes it (spec §3.7); event names follow the dialect's numbering.
import type { AppEvent, BlksnapApi } from '../../../shared/contract';
import { ERRNO, errnoName } from '../../../shared/errors';
import type { SnapshotEvent } from '../../../shared/schemas';
import { UsageError } from '../argv';
import { hasCode, refuseUpstreamJson, snapshotIdArg } from './common';
import { ID_OPTION, UPSTREAM_JSON_OPTION, withHelp, type Verb, type VerbContext } from './verb';

/** The watcher's wait, in ticks (the upstream tool passes 1000). */
export const WATCHER_TIMEOUT_TICKS = 1000;

type WaitResult = { result: 'ok'; event: SnapshotEvent } | { result: 'timeout' | 'interrupted' | 'not found' };

async function waitOnce(api: BlksnapApi, id: string, timeoutTicks: number): Promise<WaitResult> {
  try {
    const event = await api.waitEvent({ id, timeoutTicks });
    return event ? { result: 'ok', event } : { result: 'timeout' };
  } catch (err) {
    if (hasCode(err, 'ESRCH')) return { result: 'not found' };
    if (hasCode(err, 'EINTR')) return { result: 'interrupted' };
    throw err;
  }
}

/** std::stoi as the upstream tool applies it to --timeout: leading digits, else an error. */
function parseTicks(text: string): number {
  const m = /^\s*\+?(\d+)/.exec(text);
  if (!m || Number(m[1]) > 0xffff_ffff) throw new UsageError(`the argument ('${text}') for option '--timeout' is invalid: ticks, a whole number`);
  return Number(m[1]);
}

function eventName(event: SnapshotEvent): string {
  return event.kind === 'unknown' ? String(event.code) : event.kind;
}

export const snapshotWaitevent: Verb = {
  name: 'snapshot_waitevent',
  purpose: 'Wait and read event from snapshot.',
  options: withHelp(
    ID_OPTION,
    { long: 'timeout', short: 't', kind: 'value', description: 'The allowed waiting time for the event, passed to the module as is: ticks (jiffies), not milliseconds.' },
    UPSTREAM_JSON_OPTION,
  ),
  async run(ctx, args) {
    const id = snapshotIdArg(args);
    const timeoutTicks = parseTicks(args.required('timeout'));
    refuseUpstreamJson(args);
    const api = await ctx.api();
    const r = await waitOnce(api, id, timeoutTicks);
    ctx.out.line(`result=${r.result}`);
    if (r.result !== 'ok') {
      ctx.out.record({ id, result: r.result });
      return;
    }
    ctx.out.line(`time=${r.event.timeLabelNs}`);
    ctx.out.line(`event=${eventName(r.event)}`);
    // The v1 tool also prints what a low_free_space event asks for (spec §7.2).
    if (r.event.kind === 'low_free_space' && (await api.backendInfo({})).dialect === 'v1') {
      ctx.out.line(`requested_nr_sect=${r.event.requestedSectors ?? 0}`);
    }
    ctx.out.record({ id, result: r.result, event: r.event });
  },
};

export function strerror(errno: number): string {
  const name = errnoName(errno);
  return name ? ERRNO[name][1] : `Unknown error ${errno}`;
}

/** The watcher's line for a module event; `stop` after corrupted (the snapshot is lost). */
export function watcherLine(event: SnapshotEvent): { text: string; stop: boolean } {
  const t = BigInt.asUintN(32, BigInt(event.timeLabelNs));
  switch (event.kind) {
    case 'corrupted': {
      const dev = event.device ? `${event.device.major}:${event.device.minor}` : '?:?';
      return { text: `${t} - The snapshot was corrupted for device [${dev}] with error "${strerror(event.errCode ?? 0)}".`, stop: true };
    }
    case 'no_space':
      return { text: `${t} - The the difference storage already grow up to ${Math.floor((event.requestedSectors ?? 0) / 2048)} MiB. Limit has been reached.`, stop: false };
    case 'low_free_space':
      // The upstream (lk6.15) tool has no such event; this is the v1 stretch tool's line.
      return { text: `${t} - Low free space in diff storage. Requested ${event.requestedSectors ?? 0} sectors.`, stop: false };
    default:
      return { text: `${t} - unsupported event #${event.code}.`, stop: false };
  }
}

/** The stretch service's steps for the snapshot (v1: files created, ranges appended) after `afterSeq`. */
export async function newStretchEvents(api: BlksnapApi, id: string, afterSeq: number): Promise<AppEvent[]> {
  const history = await api.eventHistory({ limit: 1000 });
  return history.filter((e) => e.seq > afterSeq && e.source === 'app' && e.kind === 'stretch' && e.snapshotId === id);
}

export async function lastSeq(api: BlksnapApi): Promise<number> {
  const history = await api.eventHistory({ limit: 1 });
  return history.at(-1)?.seq ?? 0;
}

async function watch(ctx: VerbContext, api: BlksnapApi, id: string): Promise<string> {
  let seen = await lastSeq(api);
  while (!ctx.signal.aborted) {
    const r = await waitOnce(api, id, WATCHER_TIMEOUT_TICKS);
    for (const e of await newStretchEvents(api, id, seen)) {
      seen = Math.max(seen, e.seq);
      ctx.out.line(`[${e.kind}] ${e.message}`);
      ctx.out.record({ app: e });
    }
    if (r.result === 'not found') {
      ctx.out.line('Snapshot not found');
      return 'not found';
    }
    if (r.result !== 'ok') continue;
    const { text, stop } = watcherLine(r.event);
    ctx.out.line(text);
    ctx.out.record({ event: r.event, message: text });
    if (stop) return 'corrupted';
  }
  return 'interrupted';
}

export const snapshotWatcher: Verb = {
  name: 'snapshot_watcher',
  purpose: 'Start snapshot watcher service.',
  options: withHelp(ID_OPTION),
  async run(ctx, args) {
    const id = snapshotIdArg(args);
    const api = await ctx.api();
    await ctx.share();
    ctx.out.line('Start snapshot watcher.');
    const reason = await watch(ctx, api, id);
    ctx.out.line('Snapshot watcher finished');
    ctx.out.record({ finished: true, reason });
  },
};
