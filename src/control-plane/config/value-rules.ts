// Istio's value rules: ports, durations (Go syntax, ms precision), percentages, labels, IPs/CIDRs, RE2 regexes.

import { isIP } from "node:net";
import { RE2JS } from "re2js";

export function validatePort(port: unknown): string | undefined {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    return `port number ${String(port)} must be in the range 1..65535`;
  }
  return undefined;
}

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses a duration as Istio accepts it (Go/CEL syntax: "1h2m", "1.5s", "100ms"); nanoseconds, or undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (!m) return text === "0" ? 0 : undefined;
  let total = 0;
  for (const part of text.slice(m[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_NS[part[2]!]!;
  }
  return m[1] === "-" ? -total : total;
}

/** Istio's ValidateDuration: at least 1ms and a whole number of milliseconds. */
export function validateDuration(value: unknown): string | undefined {
  if (typeof value !== "string") return "duration must be a string such as \"1s\" or \"100ms\"";
  const ns = parseDuration(value);
  if (ns === undefined) return `invalid duration "${value}"`;
  if (ns < 0) return `duration "${value}" is negative: it must be greater than 1ms`;
  if (ns < 1e6) return "duration must be greater than 1ms";
  if (Math.round(ns) % 1e6 !== 0) return "only durations to ms precision are supported";
  return undefined;
}

/** Istio's validatePercentage for `Percent` messages: 0, or within [0.0001, 100]. */
export function validatePercentage(value: unknown): string | undefined {
  if (typeof value !== "number") return undefined;
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001)) {
    return `percentage ${value} is neither 0.0, nor in range [0.0001, 100.0]`;
  }
  return undefined;
}

/** Istio's ValidatePercent for integer percentages (maxEjectionPercent, minHealthPercent). */
export function validateIntPercent(value: unknown): string | undefined {
  if (typeof value !== "number") return undefined;
  return value < 0 || value > 100 ? `percentage ${value} is not in range 0..100` : undefined;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes label key/value rules, as Istio's labels.Instance.Validate. Returns one reason per bad entry. */
export function validateLabels(labels: unknown): string[] {
  if (!labels || typeof labels !== "object") return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    const slash = k.lastIndexOf("/");
    const prefix = slash < 0 ? "" : k.slice(0, slash);
    const name = slash < 0 ? k : k.slice(slash + 1);
    if ((slash >= 0 && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) || name.length > 63 || !QUALIFIED_NAME.test(name)) {
      out.push(`invalid tag key: ${k}`);
    }
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) out.push(`invalid tag value: ${String(v)}`);
  }
  return out;
}

export function isIPAddress(value: string): boolean {
  return isIP(value) !== 0;
}

/** An IP or CIDR (ValidateIPSubnet). */
export function validateIPSubnet(value: string): string | undefined {
  const slash = value.indexOf("/");
  if (slash < 0) return isIP(value) ? undefined : `"${value}" is not a valid IP`;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const family = isIP(ip);
  const max = family === 4 ? 32 : 128;
  if (!family || !/^\d+$/.test(bits) || Number(bits) > max) return `"${value}" is not a valid CIDR block`;
  return undefined;
}

/** Istio's validateStringRegexp: at most 1024 characters and compiles as RE2. */
export function validateRegex(re: string, where: string): string | undefined {
  if (re === "") return `"${where}": regex string match should not be empty`;
  if (re.length > 1024) return `"${where}": regex is too large, max length allowed is 1024`;
  try {
    RE2JS.compile(re);
    return undefined;
  } catch (err) {
    return `"${where}": ${(err as Error).message}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`;
  }
}
