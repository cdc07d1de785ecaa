// The dialect registry: DialectId → its entry. Each dialect lives in its own folder; adding
// one is an import and one line below, and touches no other dialect.
import type { DialectId } from '../../../../shared/schemas';
import type { KernelDialect } from './types';
import { dialect as lk615 } from './lk6.15';
import { dialect as v7 } from './v7';
import { dialect as v6 } from './v6';
import { dialect as val70 } from './val-7.0';
import { dialect as val13 } from './val-13';
import { dialect as v1 } from './v1';

export const DIALECTS: Partial<Record<DialectId, KernelDialect>> = {
  'lk6.15': lk615,
  v7,
  v6,
  'val-7.0': val70,
  'val-13': val13,
  v1,
};

export function kernelDialect(id: DialectId): KernelDialect | undefined {
  return DIALECTS[id];
}

export type { KernelDialect, DialectOpenOptions } from './types';
