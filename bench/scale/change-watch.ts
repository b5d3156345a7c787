// ChangeWatch: finds a step's markers (strings only the changed resources contain) in raw response bytes.

/** One marker and how many times a proxy that sees it must receive it (once per changed resource carrying it). */
export interface Marker {
  value: string;
  expected: number;
  /** Namespaces whose proxies see the change; undefined = every proxy. */
  namespaces?: readonly string[];
}

/**
 * Every marker of a step starts with `prefix` and is shorter than 128 bytes, so in protobuf it is a string field
 * whose one-byte length precedes it: one scan for the prefix finds every candidate, the length byte gives its end.
 * The counts are per proxy (`pendingFor` returns a fresh map); a repeated delivery of an already complete marker
 * (SotW resends full state) changes nothing.
 */
export class ChangeWatch {
  private readonly prefix: Buffer;
  private readonly templates = new Map<string, ReadonlyMap<string, number>>();

  constructor(prefix: string, private readonly markers: readonly Marker[]) {
    this.prefix = Buffer.from(prefix, "latin1");
    for (const m of markers) if (!m.value.startsWith(prefix) || m.value.length >= 128) throw new Error(`bad marker ${m.value}`);
  }

  /** The markers a proxy in `namespace` must see, with remaining counts; empty when the step does not concern it. */
  pendingFor(namespace: string): Map<string, number> {
    let t = this.templates.get(namespace);
    if (!t) {
      t = new Map(this.markers.filter((m) => !m.namespaces || m.namespaces.includes(namespace)).map((m) => [m.value, m.expected]));
      this.templates.set(namespace, t);
    }
    return new Map(t);
  }

  /** Decrements `pending` for each marker found in bytes[start, end); deletes completed markers. */
  scan(bytes: Buffer, start: number, end: number, pending: Map<string, number>): void {
    let at = bytes.indexOf(this.prefix, start);
    while (at >= 0 && at < end) {
      const len = bytes[at - 1]!;
      const value = bytes.toString("latin1", at, at + len);
      const left = pending.get(value);
      if (left !== undefined) {
        if (left <= 1) pending.delete(value);
        else pending.set(value, left - 1);
      }
      at = bytes.indexOf(this.prefix, at + 1);
    }
  }
}
