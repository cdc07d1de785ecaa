// What the registry knows of a dialect: enough for the probe and the doctor to match it, and a
// factory for its control. Each dialect folder exports one of these; nothing else is shared.
import type { DialectId, ModuleVersion } from '../../../../shared/schemas';
import type { BlksnapControl } from '../../types';
import type { KernelEnv } from '../env';

export interface DialectOpenOptions {
  env: KernelEnv;
  /** The VERSION reply the probe read. */
  version: ModuleVersion;
  /** Why this dialect was chosen, for BackendInfo.reason. */
  reason: string;
}

export interface KernelDialect {
  id: DialectId;
  label: string;
  /** false where the spec marks the dialect inferred: the UI says "unverified dialect". */
  verified: boolean;
  /** How the client of this dialect was verified (traces of a real module, spec, gcc, fake); for the doctor. */
  verifiedBy?: string;
  /** "v1", "upstream" (blkfilter on the block device) or "standalone" (/dev/bdevfilter). */
  family: 'v1' | 'upstream' | 'standalone';
  /** Major of the VERSION reply this dialect answers (1, 2 or 7). */
  versionMajor: number;
  controlNode: string;
  /** Module whose /sys/module/<name> holds version and parameters. */
  moduleName: string;
  open(opts: DialectOpenOptions): Promise<BlksnapControl>;
}
