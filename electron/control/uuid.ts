// UUIDs: the module's 16 raw bytes <-> the canonical string, through the uuid package.
// Kernel ids are random (v4) UUIDs; ids that are not RFC 9562 (test ids, a zero generation)
// are still converted, by hand, since the module treats them as plain 16 bytes.
import { parse, stringify } from 'uuid';
import { UUID_RE } from '../../shared/schemas';
import { appError } from '../../shared/errors';

export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a UUID is 16 bytes, got ${bytes.length}`);
  try {
    return stringify(bytes);
  } catch {
    const h = Buffer.from(bytes).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

export function uuidToBytes(id: string): Buffer {
  if (!UUID_RE.test(id)) throw appError('EBADARG', `"${id}" is not a snapshot id (a UUID like 3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b)`, { id });
  try {
    return Buffer.from(parse(id));
  } catch {
    return Buffer.from(id.replace(/-/g, ''), 'hex');
  }
}
