// How the contract (contract.ts) travels: the messages both transports carry, and the
// WebSocket frame format. Byte arrays travel as bytes, never as JSON arrays: a message that
// holds a Uint8Array goes as one binary frame (header + payloads), anything else as text.
import type { ErrorInfo } from './errors';
import type { PushTopic } from './contract';

/** The answer to one call, as both transports return it (errors are values, not throws). */
export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };

/** What the Electron preload exposes as `window.blksnap` (contextBridge). */
export interface BlksnapBridge {
  invoke(method: string, args: unknown): Promise<CallOutcome>;
  subscribe(topic: string, listener: (payload: unknown) => void): () => void;
}

/** Electron IPC channel names. */
export const IPC = {
  callPrefix: 'blksnap:call:',
  subscribe: 'blksnap:subscribe',
  unsubscribe: 'blksnap:unsubscribe',
  push: 'blksnap:push',
} as const;

export type ClientMessage =
  | { t: 'call'; id: number; method: string; args: unknown }
  | { t: 'sub'; topics: PushTopic[] }
  | { t: 'unsub'; topics: PushTopic[] };

export type ServerMessage =
  | ({ t: 'result'; id: number } & CallOutcome)
  | { t: 'push'; topic: PushTopic; payload: unknown }
  /** A message that could not be tied to a call (unreadable frame, no id). */
  | { t: 'error'; id: number | null; error: ErrorInfo };

/**
 * Binary frame: "BSN1", u32 LE header length, ASCII JSON header {m, b, r}, payloads.
 * b: each payload's length in the frame; r: its decoded length where it is run-length encoded
 * (null where not). CBT maps are mostly long runs: a typical 2 MiB map travels as a few KiB.
 */
const MAGIC = [0x42, 0x53, 0x4e, 0x31] as const;
const PREFIX_BYTES = 8;
/** Payloads from this size are run-length encoded when that at least halves them. */
const RLE_MIN_BYTES = 64 * 1024;
const RUN_BYTES = 5;
/** A frame may not claim more decoded bytes than this (a 5-byte run could claim 4 GiB). */
const MAX_DECODED_BYTES = 256 * 2 ** 20;

/** What a decoder accepts from its peer; checked against the header before anything is allocated. */
export interface FrameLimits {
  /** All payloads of the frame together, decoded. */
  maxDecodedBytes: number;
  /** false: run-length payloads are refused outright. */
  allowRunLength: boolean;
}

/** What a frame's header claims (sizes only), for budgets and per-method limits. */
export interface FrameHeader {
  /** The message with {$bin: i} in place of each payload. */
  message: unknown;
  decodedBytes: number;
  runLength: boolean;
}

export function encodeFrame(message: unknown): string | Uint8Array {
  const bins: Uint8Array[] = [];
  const withRefs = extractBinaries(message, bins);
  if (bins.length === 0) return JSON.stringify(message);
  const decoded = bins.map((b) => b.byteLength);
  const encoded = bins.map((b) => (b.byteLength >= RLE_MIN_BYTES ? rleEncode(b, b.byteLength / 2) : null));
  for (let i = 0; i < bins.length; i++) bins[i] = encoded[i] ?? bins[i]!;
  const header = asciiJson({ m: withRefs, b: bins.map((b) => b.byteLength), r: encoded.map((e, i) => (e ? decoded[i] : null)) });
  let total = PREFIX_BYTES + header.length;
  for (const b of bins) total += b.byteLength;
  const frame = new Uint8Array(total);
  frame.set(MAGIC, 0);
  new DataView(frame.buffer).setUint32(4, header.length, true);
  for (let i = 0; i < header.length; i++) frame[PREFIX_BYTES + i] = header.charCodeAt(i);
  let at = PREFIX_BYTES + header.length;
  for (const b of bins) {
    frame.set(b, at);
    at += b.byteLength;
  }
  return frame;
}

/**
 * Parses a text or binary frame; throws Error with a reason on anything malformed. `limits`
 * (fixed, or chosen from what the header claims, e.g. per method) is checked against the
 * header's sizes before any payload is decoded: a lying header costs nothing.
 */
export function decodeFrame(data: string | Uint8Array, limits: FrameLimits | ((header: FrameHeader) => FrameLimits) = { maxDecodedBytes: MAX_DECODED_BYTES, allowRunLength: true }): unknown {
  if (typeof data === 'string') return JSON.parse(data);
  const parsed = parseBinaryHeader(data);
  const { header, runLengths, lengths } = parsed;
  const limit = typeof limits === 'function' ? limits(header) : limits;
  if (header.runLength && !limit.allowRunLength) throw new Error('binary frame: run-length payloads are not accepted here');
  if (header.decodedBytes > Math.min(limit.maxDecodedBytes, MAX_DECODED_BYTES)) {
    throw new Error(`binary frame claims ${header.decodedBytes} decoded bytes; at most ${Math.min(limit.maxDecodedBytes, MAX_DECODED_BYTES)} are accepted here`);
  }
  const bins: Uint8Array[] = [];
  let at = parsed.payloadStart;
  for (const [i, length] of lengths.entries()) {
    const payload = data.subarray(at, at + length);
    const decoded = runLengths[i];
    bins.push(decoded === null || decoded === undefined ? payload : rleDecode(payload, decoded));
    at += length;
  }
  return restoreBinaries(header.message, bins);
}

/** The header of a binary frame, its sizes checked against the frame; no payload is touched. */
export function readFrameHeader(data: Uint8Array): FrameHeader {
  return parseBinaryHeader(data).header;
}

function parseBinaryHeader(data: Uint8Array): { header: FrameHeader; lengths: number[]; runLengths: (number | null)[]; payloadStart: number } {
  if (data.byteLength < PREFIX_BYTES || MAGIC.some((v, i) => data[i] !== v)) throw new Error('binary frame without the BSN1 header');
  const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4, true);
  if (headerLength > data.byteLength - PREFIX_BYTES) throw new Error('binary frame header longer than the frame');
  let text = '';
  for (let i = 0; i < headerLength; i++) text += String.fromCharCode(data[PREFIX_BYTES + i]!);
  const header: unknown = JSON.parse(text);
  if (!isRecord(header) || !Array.isArray(header.b)) throw new Error('binary frame header is not {m, b}');
  if (header.r !== undefined && !Array.isArray(header.r)) throw new Error('binary frame header r is not a list');
  const claimed: unknown[] = Array.isArray(header.r) ? header.r : [];
  if (claimed.length > header.b.length) throw new Error('binary frame header has more run lengths than payloads');
  const payloadStart = PREFIX_BYTES + headerLength;
  const lengths: number[] = [];
  const runLengths: (number | null)[] = [];
  let at = payloadStart;
  let decodedBytes = 0;
  for (const [i, length] of header.b.entries()) {
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0 || at + length > data.byteLength) throw new Error('binary frame payload lengths do not match the frame');
    const decoded = claimed[i];
    if (decoded !== null && decoded !== undefined && (typeof decoded !== 'number' || !Number.isSafeInteger(decoded) || decoded < 0)) throw new Error('binary frame run length is not a whole number of bytes');
    if (typeof decoded === 'number' && length % RUN_BYTES !== 0) throw new Error('run-length payload is not whole runs');
    if (typeof decoded === 'number' && decoded < length) throw new Error('run-length payload does not shrink what it encodes');
    lengths.push(length);
    runLengths.push(typeof decoded === 'number' ? decoded : null);
    decodedBytes += typeof decoded === 'number' ? decoded : length;
    if (decodedBytes > MAX_DECODED_BYTES) throw new Error('binary frame claims too many decoded bytes');
    at += length;
  }
  if (at !== data.byteLength) throw new Error('binary frame has trailing bytes');
  return { header: { message: header.m, decodedBytes, runLength: runLengths.some((r) => r !== null) }, lengths, runLengths, payloadStart };
}

/** Runs as (value u8, count u32 LE); null when that would exceed `maxBytes`. */
export function rleEncode(data: Uint8Array, maxBytes: number): Uint8Array | null {
  const out = new Uint8Array(Math.floor(maxBytes / RUN_BYTES) * RUN_BYTES);
  const view = new DataView(out.buffer);
  // Long runs are skipped four bytes at a time.
  const words = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2) : null;
  let o = 0;
  let i = 0;
  while (i < data.length) {
    const value = data[i]!;
    const word = (value * 0x01010101) >>> 0;
    let j = i + 1;
    while (j < data.length && data[j] === value) {
      j++;
      if (words && (j & 3) === 0) {
        let k = j >>> 2;
        while (k < words.length && words[k] === word) k++;
        j = k << 2;
      }
    }
    if (o + RUN_BYTES > out.length) return null;
    out[o] = value;
    view.setUint32(o + 1, j - i, true);
    o += RUN_BYTES;
    i = j;
  }
  return out.subarray(0, o);
}

export function rleDecode(data: Uint8Array, length: number): Uint8Array {
  if (data.byteLength % RUN_BYTES !== 0) throw new Error('run-length payload is not whole runs');
  const out = new Uint8Array(length);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  for (let o = 0; o < data.byteLength; o += RUN_BYTES) {
    const run = view.getUint32(o + 1, true);
    if (at + run > length) throw new Error('run-length payload longer than announced');
    const value = data[o]!;
    // out starts as zeros; a short run is cheaper as a loop than as a fill call (a dense map's
    // level has thousands of runs of a few bytes).
    if (value === 0) at += run;
    else if (run < 32) for (const end = at + run; at < end; at++) out[at] = value;
    else {
      out.fill(value, at, at + run);
      at += run;
    }
  }
  if (at !== length) throw new Error('run-length payload shorter than announced');
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function extractBinaries(value: unknown, bins: Uint8Array[]): unknown {
  if (value instanceof Uint8Array) {
    bins.push(value);
    return { $bin: bins.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v) => extractBinaries(v, bins));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, extractBinaries(v, bins));
    return out;
  }
  return value;
}

function restoreBinaries(value: unknown, bins: Uint8Array[]): unknown {
  if (Array.isArray(value)) return value.map((v) => restoreBinaries(v, bins));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$bin') {
    const bin = typeof value.$bin === 'number' ? bins[value.$bin] : undefined;
    if (!bin) throw new Error('binary frame refers to a payload it does not have');
    return bin;
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) setOwn(out, k, restoreBinaries(value[k], bins));
  return out;
}

/** Assignment that cannot reach a prototype (a "__proto__" key stays a plain property). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** JSON with every non-ASCII character escaped, so one character is one byte. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
