// Istio duration strings ("1.5s", "100ms", "1m30s") to google.protobuf.Duration objects.

export interface Duration {
  seconds: number;
  nanos?: number;
}

const UNIT_NANOS: Record<string, number> = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, "µs": 1e3, ns: 1 };

/** Parses a Go-style duration; undefined when it is not one. */
export function parseDuration(text: string): Duration | undefined {
  const re = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_NANOS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) return undefined;
  total = Math.round(total);
  const seconds = Math.floor(total / 1e9);
  const nanos = total - seconds * 1e9;
  return nanos === 0 ? { seconds } : { seconds, nanos };
}
