// A raw WebSocket to the web server: sends any frame (lying headers included) and reads the
// answers as the server sent them, for tests that must not go through the well-behaved client.
import WebSocket from 'ws';
import { decodeFrame } from '../../shared/wire';

export interface RawSocket {
  ws: WebSocket;
  /** Sends a frame and waits for the next message (decoded), or rejects after `timeoutMs`. */
  exchange(frame: string | Uint8Array, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with every message until `count` have arrived. */
  collect(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): void;
}

export async function openRawSocket(port: number, token: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { headers });
  ws.binaryType = 'nodebuffer';
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const queue: Record<string, unknown>[] = [];
  let wake: (() => void) | null = null;
  ws.on('message', (data: Buffer, isBinary) => {
    queue.push(decodeFrame(isBinary ? new Uint8Array(data) : data.toString('utf8')) as Record<string, unknown>);
    wake?.();
  });
  const collect = async (count: number, timeoutMs = 10_000): Promise<Record<string, unknown>[]> => {
    const deadline = Date.now() + timeoutMs;
    while (queue.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${queue.length} of ${count} answers within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
      wake = null;
    }
    return queue.splice(0, count);
  };
  return {
    ws,
    async exchange(frame, timeoutMs = 10_000) {
      ws.send(frame);
      return (await collect(1, timeoutMs))[0]!;
    },
    collect,
    close: () => ws.close(),
  };
}

/** A BSN1 frame with exactly the given header and payload bytes (no consistency enforced). */
export function rawFrame(header: object, payload: Uint8Array | number[]): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const p = payload instanceof Uint8Array ? payload : new Uint8Array(payload);
  const f = new Uint8Array(8 + h.length + p.length);
  f.set([0x42, 0x53, 0x4e, 0x31]);
  new DataView(f.buffer).setUint32(4, h.length, true);
  f.set(h, 8);
  f.set(p, 8 + h.length);
  return f;
}

/** `runs` five-byte runs (value, u32 LE count) whose counts add up to `totalBytes`. */
export function lyingRuns(runs: number, totalBytes: number): Uint8Array {
  const out = new Uint8Array(runs * 5);
  const view = new DataView(out.buffer);
  const each = Math.floor(totalBytes / runs);
  for (let i = 0; i < runs; i++) {
    out[i * 5] = i & 0xff;
    view.setUint32(i * 5 + 1, i === runs - 1 ? totalBytes - each * (runs - 1) : each, true);
  }
  return out;
}
