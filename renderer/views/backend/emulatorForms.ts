// Checks of the emulator forms, before anything is sent (the service validates again).
import type { WorkloadSpec } from '../../../shared/contract';
import { parseSize } from '../../../shared/units';

type Result<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

export function validateDeviceForm(name: string, sizeText: string): Result<{ name: string; sizeBytes: number }> {
  const errors: Record<string, string> = {};
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) errors.name = 'A device name is lowercase letters, digits, - or _, starting with a letter (at most 32).';
  const size = parseSize(sizeText);
  if (!size.ok) errors.size = size.error;
  else if (size.bytes <= 0) errors.size = 'The size must be greater than zero.';
  else if (size.bytes % 512 !== 0) errors.size = 'The size is a whole number of 512-byte sectors.';
  if (Object.keys(errors).length > 0 || !size.ok) return { ok: false, errors };
  return { ok: true, value: { name, sizeBytes: size.bytes } };
}

export interface WorkloadFormInput {
  device: string;
  pattern: WorkloadSpec['pattern'];
  blockSizeText: string;
  rateText: string;
  durationText: string;
}

export function validateWorkloadForm(input: WorkloadFormInput): Result<WorkloadSpec> {
  const errors: Record<string, string> = {};
  if (!input.device) errors.device = 'Choose a device.';
  const block = parseSize(input.blockSizeText);
  if (!block.ok) errors.blockSize = block.error;
  else if (block.bytes < 512 || block.bytes > 64 * 2 ** 20 || block.bytes % 512 !== 0) errors.blockSize = 'The block size is a multiple of 512 bytes, from 512 to 64M.';
  const rate = parseSize(input.rateText);
  if (!rate.ok) errors.rate = rate.error;
  const seconds = Number(input.durationText);
  if (!/^\d+(\.\d+)?$/.test(input.durationText.trim()) || !(seconds > 0) || seconds > 24 * 3600) errors.duration = 'The duration is a number of seconds, up to 86,400 (24 h).';
  if (Object.keys(errors).length > 0 || !block.ok || !rate.ok) return { ok: false, errors };
  return {
    ok: true,
    value: { device: input.device, pattern: input.pattern, blockSizeBytes: block.bytes, rateBytesPerSec: rate.bytes, durationMs: Math.round(seconds * 1000) },
  };
}
