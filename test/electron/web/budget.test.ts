// The per-connection byte budget: calls whose frames (decoded) are still being served count
// against it, and a frame that would pass it is refused from its header before decoding.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { CONNECTION_BYTE_BUDGET, Connection, MAX_TEXT_MESSAGE_BYTES } from '../../../electron/web/connection';
import type { BlksnapService } from '../../../electron/service';
import { decodeFrame, encodeFrame } from '../../../shared/wire';

const MiB = 2 ** 20;

function fakeSocket() {
  const ws = Object.assign(new EventEmitter(), { readyState: 1, OPEN: 1, bufferedAmount: 0, sent: [] as unknown[], send(frame: string | Uint8Array) { this.sent.push(decodeFrame(frame)); }, terminate() {} });
  return ws;
}

describe('connection byte budget', () => {
  it('refuses a write frame that would pass the budget while earlier writes are still in progress, and accepts it after', async () => {
    const ws = fakeSocket();
    const pending: Array<() => void> = [];
    const service = { emuWrite: () => new Promise((resolve) => pending.push(() => resolve({ ok: true }))) } as unknown as BlksnapService;
    new Connection(ws as unknown as WebSocket, service, () => undefined);
    const frame = (id: number) => Buffer.from(encodeFrame({ t: 'call', id, method: 'emuWrite', args: { path: '/dev/disk0', offsetBytes: 0, data: new Uint8Array(64 * MiB) } }) as Uint8Array);
    expect(CONNECTION_BYTE_BUDGET).toBeLessThan(3 * 64 * MiB);
    ws.emit('message', frame(1), true);
    ws.emit('message', frame(2), true);
    ws.emit('message', frame(3), true);
    await new Promise((r) => setTimeout(r, 10));
    expect(pending).toHaveLength(2);
    expect(ws.sent).toHaveLength(1);
    expect(ws.sent[0]).toMatchObject({ t: 'result', id: 3, ok: false, error: { code: 'EBADARG' } });
    for (const release of pending.splice(0)) release();
    await new Promise((r) => setTimeout(r, 10));
    ws.emit('message', frame(4), true);
    await new Promise((r) => setTimeout(r, 10));
    expect(pending).toHaveLength(1);
  });

  it('refuses a text message larger than any JSON argument needs', () => {
    const ws = fakeSocket();
    new Connection(ws as unknown as WebSocket, {} as BlksnapService, () => undefined);
    ws.emit('message', Buffer.alloc(MAX_TEXT_MESSAGE_BYTES + 1, 0x20), false);
    expect(ws.sent[0]).toMatchObject({ t: 'error', error: { code: 'EBADARG' } });
  });
});
