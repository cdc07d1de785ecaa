// Struct layouts (size, field offsets) and a small view to encode/decode them in a Buffer.
// Layout tables are the single source of the numbers; the layout test compares them with gcc.

export type FieldKind = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 's64' | 'ptr' | 'uuid' | 'bytes';

export interface FieldLayout {
  offset: number;
  kind: FieldKind;
  size: number;
}

export interface StructLayout {
  /** The C struct name, as in the module's header. */
  name: string;
  size: number;
  fields: Readonly<Record<string, FieldLayout>>;
}

const KIND_SIZE: Record<Exclude<FieldKind, 'bytes'>, number> = {
  u8: 1, u16: 2, u32: 4, s32: 4, u64: 8, s64: 8, ptr: 8, uuid: 16,
};

type FieldSpec = readonly [offset: number, kind: Exclude<FieldKind, 'bytes'>] | readonly [offset: number, kind: 'bytes', size: number];

/** Declares a layout: `struct('blksnap_cbtmap', 16, { offset: [0, 'u32'], ... })`. */
export function struct(name: string, size: number, fields: Record<string, FieldSpec>): StructLayout {
  const out: Record<string, FieldLayout> = {};
  for (const [field, spec] of Object.entries(fields)) {
    const fieldSize = spec[1] === 'bytes' ? spec[2] : KIND_SIZE[spec[1]];
    if (spec[0] + fieldSize > size) throw new RangeError(`${name}.${field} ends past the struct's ${size} bytes`);
    out[field] = { offset: spec[0], kind: spec[1], size: fieldSize };
  }
  return { name, size, fields: out };
}

/** Byte ranges [start, end) no field covers: padding (left zero by our encoder). */
export function paddingRanges(layout: StructLayout): [number, number][] {
  const covered = new Uint8Array(layout.size);
  for (const f of Object.values(layout.fields)) covered.fill(1, f.offset, f.offset + f.size);
  const ranges: [number, number][] = [];
  for (let i = 0; i < layout.size; i++) {
    if (covered[i]) continue;
    const start = i;
    while (i < layout.size && !covered[i]) i++;
    ranges.push([start, i]);
  }
  return ranges;
}

/** Typed access to one struct's bytes. */
export class StructView {
  readonly buf: Buffer;

  constructor(readonly layout: StructLayout, buf?: Buffer) {
    if (buf && buf.length < layout.size) throw new RangeError(`${layout.name}: ${buf.length} bytes, needs ${layout.size}`);
    this.buf = buf ?? Buffer.alloc(layout.size);
  }

  private field(name: string, kinds: readonly FieldKind[]): FieldLayout {
    const f = this.layout.fields[name];
    if (!f) throw new Error(`${this.layout.name} has no field ${name}`);
    if (!kinds.includes(f.kind)) throw new Error(`${this.layout.name}.${name} is ${f.kind}, not ${kinds.join('/')}`);
    return f;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.layout.fields, name);
  }

  u8(name: string): number { return this.buf.readUInt8(this.field(name, ['u8']).offset); }
  u16(name: string): number { return this.buf.readUInt16LE(this.field(name, ['u16']).offset); }
  u32(name: string): number { return this.buf.readUInt32LE(this.field(name, ['u32']).offset); }
  s32(name: string): number { return this.buf.readInt32LE(this.field(name, ['s32']).offset); }
  u64(name: string): bigint { return this.buf.readBigUInt64LE(this.field(name, ['u64', 'ptr']).offset); }
  s64(name: string): bigint { return this.buf.readBigInt64LE(this.field(name, ['s64']).offset); }
  bytes(name: string): Buffer {
    const f = this.field(name, ['bytes', 'uuid']);
    return Buffer.from(this.buf.subarray(f.offset, f.offset + f.size));
  }
  /** A NUL-padded char array as a string. */
  text(name: string): string {
    const b = this.bytes(name);
    const end = b.indexOf(0);
    return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
  }

  setU32(name: string, value: number): this { this.buf.writeUInt32LE(value >>> 0, this.field(name, ['u32']).offset); return this; }
  setS32(name: string, value: number): this { this.buf.writeInt32LE(value, this.field(name, ['s32']).offset); return this; }
  setU64(name: string, value: number | bigint): this {
    this.buf.writeBigUInt64LE(BigInt(value), this.field(name, ['u64', 'ptr']).offset);
    return this;
  }
  setBytes(name: string, value: Uint8Array): this {
    const f = this.field(name, ['bytes', 'uuid']);
    if (value.length > f.size) throw new RangeError(`${this.layout.name}.${name}: ${value.length} bytes do not fit ${f.size}`);
    this.buf.fill(0, f.offset, f.offset + f.size);
    Buffer.from(value).copy(this.buf, f.offset);
    return this;
  }
  /** Zero-padded char array; refuses text that leaves no room for the NUL. */
  setText(name: string, value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    const f = this.field(name, ['bytes']);
    if (bytes.length >= f.size) throw new RangeError(`${this.layout.name}.${name}: "${value}" is longer than ${f.size - 1} bytes`);
    return this.setBytes(name, bytes);
  }
}
