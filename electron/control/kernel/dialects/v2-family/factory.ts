// A v2 dialect table as a registry entry.
import type { KernelDialect } from '../types';
import { openV2Control } from './control';
import type { V2Dialect } from './dialect';

export function v2KernelDialect(dialect: V2Dialect): KernelDialect & { table: V2Dialect } {
  return {
    id: dialect.id, label: dialect.label, verified: dialect.verified, verifiedBy: dialect.verifiedBy, family: dialect.family,
    versionMajor: dialect.versionMajor, controlNode: dialect.controlNode, moduleName: dialect.moduleName,
    table: dialect,
    open: async (opts) => openV2Control(dialect, opts),
  };
}
