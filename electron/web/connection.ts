// One WebSocket session: calls (validated by callValidated), subscriptions, and the pushes
// the hub fans out. Malformed messages get an error answer; nothing here throws.
import type { RawData, WebSocket } from 'ws';
import { maxArgumentBytes, PUSH, type PushTopic } from '../../shared/contract';
import { decodeFrame, encodeFrame, type FrameHeader, type FrameLimits, type ServerMessage } from '../../shared/wire';
import { appError, toErrorInfo } from '../../shared/errors';
import { callValidated, type BlksnapService } from '../service';

const MAX_IN_FLIGHT = 256;
/** A client this far behind is dropped; it reconnects and re-reads state (pushes replay the latest). */
const MAX_BUFFERED_BYTES = 64 * 2 ** 20;
/** Bytes (as received plus decoded) of one connection's calls in progress; more waits for answers. */
export const CONNECTION_BYTE_BUDGET = 160 * 2 ** 20;
/** A text message carries JSON arguments only: the largest (markDirty's 65,536 ranges) is a few MiB. */
export const MAX_TEXT_MESSAGE_BYTES = 8 * 2 ** 20;

export class Connection {
  readonly topics = new Set<PushTopic>();
  private inFlight = 0;
  private inFlightBytes = 0;
  /** Calls that change or read state, not the open-ended waits (waitEvent): drain() waits for these. */
  private readonly working = new Set<Promise<unknown>>();
  /** Aborted when the socket closes: calls still waiting (waitEvent) give up. */
  private readonly gone = new AbortController();

  constructor(
    private readonly ws: WebSocket,
    private readonly service: BlksnapService,
    /** Latest value of a state topic, replayed on subscribe. */
    private readonly latest: (topic: PushTopic) => string | Uint8Array | undefined,
    /** Told of every call that starts (but waits for events): a server ending tells a quiet client from one between calls. */
    private readonly onCallStart: () => void = () => undefined,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.gone.abort());
  }

  sendFrame(frame: string | Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return void this.ws.terminate();
    this.ws.send(frame);
  }

  private send(message: ServerMessage): void {
    let frame: string | Uint8Array;
    try {
      frame = encodeFrame(message);
    } catch (err) {
      const id = message.t === 'result' ? message.id : null;
      frame = encodeFrame({ t: 'error', id, error: toErrorInfo(err) } satisfies ServerMessage);
    }
    this.sendFrame(frame);
  }

  private refuse(id: number | null, message: string, field: string, expected: string): void {
    this.send({ t: 'error', id, error: appError('EBADARG', message, { field, expected }).toInfo() });
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const bytes = toBytes(data);
    if (!isBinary && bytes.byteLength > MAX_TEXT_MESSAGE_BYTES) {
      return this.refuse(null, `Text message of ${bytes.byteLength} bytes; at most ${MAX_TEXT_MESSAGE_BYTES}`, '(message)', 'a smaller JSON message (bytes travel in binary frames)');
    }
    let message: unknown;
    let cost = bytes.byteLength;
    let callId: number | null = null;
    try {
      message = decodeFrame(isBinary ? bytes : bytes.toString('utf8'), (header) => {
        callId = idOf(header.message);
        const limits = this.limitsFor(header, bytes.byteLength);
        cost += header.decodedBytes;
        return limits;
      });
    } catch (err) {
      const reason = `Unreadable message: ${err instanceof Error ? err.message : String(err)}`;
      const expected = "a JSON object or a BSN1 binary frame within the method's limits";
      // A refused frame that names its call answers that call, so the caller does not wait forever.
      if (callId !== null) return this.send({ t: 'result', id: callId, ok: false, error: appError('EBADARG', reason, { field: '(message)', expected }).toInfo() });
      return this.refuse(null, reason, '(message)', expected);
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return this.refuse(null, 'A message is a JSON object', '(message)', '{t, ...}');
    }
    const m = message as Record<string, unknown>;
    if (m.t === 'call') return this.onCall(m, cost);
    if (m.t === 'sub' || m.t === 'unsub') return this.onSubscription(m.t, m.topics);
    this.refuse(typeof m.id === 'number' ? m.id : null, `Unknown message type ${JSON.stringify(String(m.t)).slice(0, 40)}`, 't', "'call', 'sub' or 'unsub'");
  }

  /**
   * A binary frame's limits from its header, before anything is decoded: only a method that
   * takes bytes may send them, at most its maximum and what the connection's budget has left;
   * run-length payloads only where they stand for bytes the method accepts.
   */
  private limitsFor(header: FrameHeader, frameBytes: number): FrameLimits {
    const m = header.message;
    const method = typeof m === 'object' && m !== null && (m as Record<string, unknown>).t === 'call' ? (m as Record<string, unknown>).method : null;
    const methodMax = maxArgumentBytes(method);
    const left = Math.max(0, CONNECTION_BYTE_BUDGET - this.inFlightBytes - frameBytes);
    if (header.decodedBytes > methodMax) return { maxDecodedBytes: methodMax, allowRunLength: methodMax > 0 };
    return { maxDecodedBytes: left, allowRunLength: methodMax > 0 };
  }

  private onCall(m: Record<string, unknown>, cost: number): void {
    const id = m.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return this.refuse(null, 'A call needs an integer id', 'id', 'a safe integer');
    if (this.inFlight >= MAX_IN_FLIGHT) {
      return this.send({ t: 'result', id, ok: false, error: appError('ETRANSPORT', `Too many calls in progress (${MAX_IN_FLIGHT})`, { operation: String(m.method) }).toInfo() });
    }
    this.inFlight += 1;
    this.inFlightBytes += cost;
    const call = callValidated(this.service, m.method, m.args, { signal: this.gone.signal }).then((outcome) => {
      this.inFlight -= 1;
      this.inFlightBytes -= cost;
      this.send({ t: 'result', id, ...outcome });
    });
    if (m.method === 'waitEvent') return;
    this.onCallStart();
    this.working.add(call);
    void call.finally(() => this.working.delete(call));
  }

  /** A call that changes or reads state is in progress (waits for events do not count). */
  get busy(): boolean {
    return this.working.size > 0;
  }

  /** Resolves once every call in progress (but waits for events) has been answered. */
  async drain(): Promise<void> {
    while (this.working.size > 0) await Promise.allSettled([...this.working]);
  }

  private onSubscription(kind: 'sub' | 'unsub', topics: unknown): void {
    const valid = Array.isArray(topics) && topics.every((t) => typeof t === 'string' && Object.hasOwn(PUSH, t));
    if (!valid) return this.refuse(null, `${kind}: topics must be a list of push topics`, 'topics', Object.keys(PUSH).join(', '));
    for (const topic of topics as PushTopic[]) {
      if (kind === 'unsub') {
        this.topics.delete(topic);
        continue;
      }
      if (this.topics.has(topic)) continue;
      this.topics.add(topic);
      const latest = this.latest(topic);
      if (latest !== undefined) this.sendFrame(latest);
    }
  }
}

function idOf(message: unknown): number | null {
  const id = typeof message === 'object' && message !== null ? (message as Record<string, unknown>).id : null;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}

function toBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
