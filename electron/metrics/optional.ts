// The desktop app and web mode: the metrics listener only when --metrics-listen asked for it.
// Its modules (prom-client, node:https) are loaded only then: most starts never use them.
import type { BlksnapService } from '../service';
import type { ListenAddress, MetricsListener } from './listener';

export async function startOptionalMetrics(service: BlksnapService, options: { metricsListen: ListenAddress | null; webConfigFile: string | null }): Promise<MetricsListener | null> {
  if (!options.metricsListen) return null;
  const [{ createMetricsCollector }, { startMetricsListener }, { loadWebConfig }] = await Promise.all([import('./collector'), import('./listener'), import('./webConfig')]);
  const webConfig = options.webConfigFile ? loadWebConfig(options.webConfigFile) : null;
  return startMetricsListener({ collector: createMetricsCollector(service, null), listen: options.metricsListen, webConfig });
}
