// Compiled envoy.extensions.filters.http.fault.v3.HTTPFault: fixed or header-driven delay and abort, each with a percentage.

import { durationMs, invalid, objectField, type XdsObject } from "../../config/xds-fields.js";
import { fractionalPercent, NEVER, type FractionalPercent } from "../../config/fractional-percent.js";
import { PerRouteConfigCache } from "../../config/per-route-config-cache.js";
import { Logger } from "../../../shared/logger.js";

export interface FaultDelay {
  /** The fixed delay in ms; undefined when the delay comes from the x-envoy-fault-delay-request header. */
  readonly fixedMs: number | undefined;
  readonly percentage: FractionalPercent;
}

export interface FaultAbort {
  /** HTTP status to answer with; undefined for gRPC aborts and header aborts. */
  readonly httpStatus: number | undefined;
  /** gRPC status for a trailers-only answer; undefined otherwise. */
  readonly grpcStatus: number | undefined;
  /** True when the status comes from x-envoy-fault-abort-request / x-envoy-fault-abort-grpc-request. */
  readonly fromHeader: boolean;
  readonly percentage: FractionalPercent;
}

/** Immutable; one per HTTPFault object (filter config or a route's typed_per_filter_config entry). */
export interface FaultConfig {
  readonly delay: FaultDelay | undefined;
  readonly abort: FaultAbort | undefined;
}

const configs = new PerRouteConfigCache(new Logger("fault"), "fault config", (resource, o) => ({
  delay: compileDelay(resource, objectField(resource, o, "delay")),
  abort: compileAbort(resource, objectField(resource, o, "abort")),
}));

/** Compiles (once per decoded object, cached) an HTTPFault; throws PROXY_CONFIG_INVALID on a bad shape. */
export function compileFaultConfig(resource: string, o: XdsObject): FaultConfig {
  return configs.compile(resource, o);
}

/** For per-route configs, compiled on first use: an invalid one is logged once and ignored (undefined). */
export function tryCompileFaultConfig(resource: string, o: XdsObject): FaultConfig | undefined {
  return configs.tryCompile(resource, o);
}

function compileDelay(resource: string, d: XdsObject | undefined): FaultDelay | undefined {
  if (d === undefined) return undefined;
  const percentage = fractionalPercent(resource, d.percentage, NEVER);
  if (d.fixed_delay !== undefined && d.fixed_delay !== null) return { fixedMs: durationMs(resource, d, "fixed_delay", 0), percentage };
  if (d.header_delay !== undefined && d.header_delay !== null) return { fixedMs: undefined, percentage };
  invalid(resource, "fault delay needs fixed_delay or header_delay");
}

function compileAbort(resource: string, a: XdsObject | undefined): FaultAbort | undefined {
  if (a === undefined) return undefined;
  const percentage = fractionalPercent(resource, a.percentage, NEVER);
  if (a.http_status !== undefined && a.http_status !== null) {
    const httpStatus = Number(a.http_status);
    if (!Number.isInteger(httpStatus) || httpStatus < 200 || httpStatus >= 600) invalid(resource, `fault abort http_status ${String(a.http_status)} out of [200, 600)`);
    return { httpStatus, grpcStatus: undefined, fromHeader: false, percentage };
  }
  if (a.grpc_status !== undefined && a.grpc_status !== null) {
    const grpcStatus = Number(a.grpc_status);
    if (!Number.isInteger(grpcStatus) || grpcStatus < 0) invalid(resource, `fault abort grpc_status ${String(a.grpc_status)} invalid`);
    return { httpStatus: undefined, grpcStatus, fromHeader: false, percentage };
  }
  if (a.header_abort !== undefined && a.header_abort !== null) return { httpStatus: undefined, grpcStatus: undefined, fromHeader: true, percentage };
  invalid(resource, "fault abort needs http_status, grpc_status or header_abort");
}
