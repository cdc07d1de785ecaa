// A v2 dialect table as a registry entry.
import type { KernelDialect } from '../types';
import { openV2Control } from './control';
import type { V2Dialect } from './dialect';

/** Each entry made here and its table: what meanings.ts reads the dialect's errno overrides from. */
const TABLES = new WeakMap<KernelDialect, V2Dialect>();

/** The v2 table behind a registry entry, or undefined for an entry of another family (v1). */
export function v2TableOf(entry: KernelDialect | undefined): V2Dialect | undefined {
  return entry ? TABLES.get(entry) : undefined;
}

export function v2KernelDialect(dialect: V2Dialect): KernelDialect {
  const entry: KernelDialect = {
    id: dialect.id, label: dialect.label, verified: dialect.verified, verifiedBy: dialect.verifiedBy, family: dialect.family,
    versionMajor: dialect.versionMajor, controlNode: dialect.controlNode, moduleName: dialect.moduleName,
    open: async (opts) => openV2Control(dialect, opts),
  };
  TABLES.set(entry, dialect);
  return entry;
}
