// PilotMetrics: the control plane's metrics, declared once with istiod's names, help texts and buckets.

import { MetricsRegistry, type Counter, type Histogram } from "./metrics-registry.js";

/** istio pilot/pkg/xds/monitoring.go buckets. */
export const CONVERGENCE_BUCKETS = [0.1, 0.5, 1, 3, 5, 10, 20, 30] as const;
export const PUSH_TIME_BUCKETS = [0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30] as const;
export const PUSH_CONTEXT_BUCKETS = [0.01, 0.1, 0.5, 1, 3, 5] as const;

/** What the control plane reads at scrape time rather than pushing into gauges. */
export interface PilotGaugeSources {
  connectedProxies(): number;
  services(): number;
  virtualServices(): number;
  rejectedConfigResources(): number;
}

export interface PilotMetrics {
  readonly registry: MetricsRegistry;
  /** Responses sent, label type ∈ lds|rds|cds|eds|sds. */
  readonly xdsPushes: Counter;
  /** NACKs received, label type. */
  readonly xdsRejects: Counter;
  /** Seconds from the first debounced event to a proxy ACKing everything it was sent. */
  readonly convergenceTime: Histogram;
  /** Seconds to generate and encode one type for one proxy, label type. */
  readonly pushTime: Histogram;
  readonly debounceTime: Histogram;
  readonly pushContextInit: Histogram;
  readonly pushTriggers: Counter;
  readonly configDumpDuration: Histogram;
}

export function createPilotMetrics(sources: PilotGaugeSources, registry = new MetricsRegistry()): PilotMetrics {
  registry.collectedGauge("pilot_xds", "Number of endpoints connected to this pilot using XDS.", sources.connectedProxies);
  registry.collectedGauge("pilot_services", "Total services known to pilot.", sources.services);
  registry.collectedGauge("pilot_virt_services", "Total virtual services known to pilot.", sources.virtualServices);
  registry.collectedGauge(
    "weft_config_rejected_resources",
    "Number of config resources currently rejected by validation (they are left out of the mesh until fixed).",
    sources.rejectedConfigResources,
  );
  return {
    registry,
    xdsPushes: registry.counter("pilot_xds_pushes", "Pilot build and send errors for lds, rds, cds and eds.", ["type"]),
    xdsRejects: registry.counter("pilot_total_xds_rejects", "Total number of XDS responses from pilot rejected by proxy.", ["type"]),
    convergenceTime: registry.histogram(
      "pilot_proxy_convergence_time",
      "Delay in seconds between config change and a proxy receiving all required configuration.",
      CONVERGENCE_BUCKETS,
    ),
    pushTime: registry.histogram("pilot_xds_push_time", "Total time in seconds Pilot takes to push lds, rds, cds and eds.", PUSH_TIME_BUCKETS, ["type"]),
    debounceTime: registry.histogram(
      "pilot_debounce_time",
      "Delay in seconds between the first config enters debouncing and the merged push request is pushed into the push queue.",
      PUSH_TIME_BUCKETS,
    ),
    pushContextInit: registry.histogram("pilot_pushcontext_init_seconds", "Total time in seconds Pilot takes to init pushContext.", PUSH_CONTEXT_BUCKETS),
    pushTriggers: registry.counter("pilot_push_triggers", "Total number of times a push was triggered, labeled by reason for the push.", ["type"]),
    configDumpDuration: registry.histogram(
      "pilot_config_dump_duration_seconds",
      "Time in seconds to build a /debug/config_dump response.",
      PUSH_TIME_BUCKETS,
    ),
  };
}
