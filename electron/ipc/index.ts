// Electron IPC, main side: one ipcMain.handle per contract method, plus subscribe and
// unsubscribe for pushes. Every message is checked to come from our own page (sender
// frame URL), and its arguments are validated before the service sees them.
import { API, PUSH, type ApiMethod, type PushTopic } from '../../shared/contract';
import { IPC, type CallOutcome } from '../../shared/wire';
import { appError } from '../../shared/errors';
import { callValidated, type BlksnapService } from '../service';

/** The parts of Electron's ipcMain, event and WebContents used here (tests pass fakes). */
export interface IpcSender {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}
export interface IpcInvokeEvent {
  readonly senderFrame: { readonly url: string } | null;
  readonly sender: IpcSender;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcOptions {
  ipcMain: IpcMainLike;
  service: BlksnapService;
  /** True only for our own page's URL. */
  isOwnPage(url: string): boolean;
}

export function registerIpc({ ipcMain, service, isOwnPage }: IpcOptions): () => void {
  const channels: string[] = [];
  const subscriptions = new Map<number, Map<PushTopic, () => void>>();
  const trusted = (event: IpcInvokeEvent) => event.senderFrame !== null && isOwnPage(event.senderFrame.url);
  const refused = (): CallOutcome => ({
    ok: false,
    error: appError('EAUTH', 'IPC from a frame that is not the blksnap Manager page was refused').toInfo(),
  });
  const handle = (channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => unknown) => {
    ipcMain.handle(channel, listener);
    channels.push(channel);
  };

  /** Per page: aborted when it is destroyed, so its waiting calls give up. */
  const pages = new Map<number, AbortController>();
  const signalOf = (sender: IpcSender): AbortSignal => {
    let controller = pages.get(sender.id);
    if (!controller) {
      const created = new AbortController();
      controller = created;
      pages.set(sender.id, created);
      sender.once('destroyed', () => {
        created.abort();
        pages.delete(sender.id);
        dropSender(sender.id);
      });
    }
    return controller.signal;
  };

  for (const method of Object.keys(API) as ApiMethod[]) {
    handle(IPC.callPrefix + method, (event, args) => (trusted(event) ? callValidated(service, method, args, { signal: signalOf(event.sender) }) : refused()));
  }

  handle(IPC.subscribe, (event, topic) => {
    if (!trusted(event)) return refused();
    if (typeof topic !== 'string' || !Object.hasOwn(PUSH, topic)) return badTopic(topic);
    const sender = event.sender;
    signalOf(sender);
    let topics = subscriptions.get(sender.id);
    if (!topics) {
      topics = new Map();
      subscriptions.set(sender.id, topics);
    }
    if (!topics.has(topic as PushTopic)) {
      topics.set(topic as PushTopic, service.subscribe(topic as PushTopic, (payload) => {
        if (!sender.isDestroyed()) sender.send(IPC.push, topic, payload);
      }));
    }
    return { ok: true, result: null } satisfies CallOutcome;
  });

  handle(IPC.unsubscribe, (event, topic) => {
    if (!trusted(event)) return refused();
    if (typeof topic !== 'string' || !Object.hasOwn(PUSH, topic)) return badTopic(topic);
    const topics = subscriptions.get(event.sender.id);
    topics?.get(topic as PushTopic)?.();
    topics?.delete(topic as PushTopic);
    return { ok: true, result: null } satisfies CallOutcome;
  });

  function dropSender(id: number): void {
    for (const unsubscribe of subscriptions.get(id)?.values() ?? []) unsubscribe();
    subscriptions.delete(id);
  }

  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
    for (const id of [...subscriptions.keys()]) dropSender(id);
    for (const controller of pages.values()) controller.abort();
    pages.clear();
  };
}

function badTopic(topic: unknown): CallOutcome {
  return {
    ok: false,
    error: appError('EBADARG', `Unknown push topic ${JSON.stringify(String(topic)).slice(0, 40)}`, { field: 'topic', expected: Object.keys(PUSH).join(', ') }).toInfo(),
  };
}
