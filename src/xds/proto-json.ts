// toProtoJson: renders a decoded plain object the way Envoy's admin prints protos (proto3 JSON mapping).

import protobuf from "protobufjs";
import { messageType } from "./proto-root.js";
import { messageNameOf } from "./type-urls.js";
import { structToJson, type ProtoStruct } from "./discovery.js";

const WRAPPERS = new Set([
  "google.protobuf.BoolValue", "google.protobuf.UInt32Value", "google.protobuf.Int32Value", "google.protobuf.UInt64Value",
  "google.protobuf.Int64Value", "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

/**
 * Converts an object decoded by `unpackAny` (snake_case, nested Anys with "@type") into proto3 JSON as
 * Envoy's /config_dump shows it: Durations as "1.5s", wrapper types as bare values, Structs as JSON,
 * Timestamps as RFC 3339. Field names stay snake_case, as Envoy's admin prints them.
 */
export function toProtoJson(typeUrl: string, object: Record<string, unknown>): Record<string, unknown> {
  return renderMessage(messageType(messageNameOf(typeUrl)), object) as Record<string, unknown>;
}

function renderMessage(type: protobuf.Type, obj: Record<string, unknown>): unknown {
  const name = type.fullName.slice(1);
  if (name === "google.protobuf.Duration") return durationString(obj);
  if (WRAPPERS.has(name)) return obj.value;
  if (name === "google.protobuf.Struct") return structToJson(obj as ProtoStruct);
  if (name === "google.protobuf.Timestamp") {
    return new Date(Number(obj.seconds ?? 0) * 1000 + Math.floor(Number(obj.nanos ?? 0) / 1e6)).toISOString();
  }
  if (name === "google.protobuf.Any") {
    const url = obj["@type"];
    if (typeof url !== "string") return obj;
    const { "@type": _, ...rest } = obj;
    try {
      return { "@type": url, ...(renderMessage(messageType(messageNameOf(url)), rest) as object) };
    } catch {
      return obj;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    const field = type.fields[key];
    out[key] = field ? renderField(field, value) : value;
  }
  return out;
}

function renderField(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (!(resolved instanceof protobuf.Type)) return value;
  if (field.repeated && Array.isArray(value)) return value.map((v) => renderMessage(resolved, v as Record<string, unknown>));
  if (field.map && value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderMessage(resolved, v as Record<string, unknown>);
    return out;
  }
  return value && typeof value === "object" ? renderMessage(resolved, value as Record<string, unknown>) : value;
}

function durationString(obj: Record<string, unknown>): string {
  const seconds = Number(obj.seconds ?? 0);
  const nanos = Number(obj.nanos ?? 0);
  if (nanos === 0) return `${seconds}s`;
  return `${(seconds + nanos / 1e9).toFixed(9).replace(/0+$/, "")}s`;
}
