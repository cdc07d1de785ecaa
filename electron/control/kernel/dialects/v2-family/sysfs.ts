// Module facts from sysfs: parameters and version.
import type { ModuleParameters } from '../../../../../shared/schemas';
import type { KernelEnv } from '../../env';

/** /sys/module/<name>/parameters/*: every numeric value (non-numeric ones are skipped). */
export function readParameters(env: KernelEnv, moduleName: string): ModuleParameters {
  const dir = `/sys/module/${moduleName}/parameters`;
  const out: ModuleParameters = {};
  for (const name of env.list(dir)) {
    const text = env.readText(`${dir}/${name}`)?.trim();
    if (text === undefined || !/^-?\d+$/.test(text)) continue;
    out[name] = Number(text);
  }
  return out;
}
