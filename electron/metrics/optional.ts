// The desktop app and web mode: the metrics listener only when --metrics-listen asked for it.
import type { BlksnapService } from '../service';
import { createMetricsCollector } from './collector';
import { startMetricsListener, type ListenAddress, type MetricsListener } from './listener';
import { loadWebConfig } from './webConfig';

export async function startOptionalMetrics(service: BlksnapService, options: { metricsListen: ListenAddress | null; webConfigFile: string | null }): Promise<MetricsListener | null> {
  if (!options.metricsListen) return null;
  const webConfig = options.webConfigFile ? loadWebConfig(options.webConfigFile) : null;
  return startMetricsListener({ collector: createMetricsCollector(service, null), listen: options.metricsListen, webConfig });
}
