// A compiled RouteConfiguration: virtual-host selection by Host with Envoy's domain rules, then first matching route.

import { arrayField, invalid, stringField, type XdsObject } from "../config/xds-fields.js";
import { compileHeaderMutation, type HeaderMutation } from "./header-mutation.js";
import { filterConfigs, pathOnly, RouteEntry } from "./route-entry.js";
import type { RouteRequest } from "./route-request.js";

export interface VirtualHost {
  readonly name: string;
  readonly routes: readonly RouteEntry[];
}

/**
 * Immutable. Domain precedence (envoy route_components.proto VirtualHost.domains): exact, then the longest
 * suffix wildcard ("*.foo.com" / "*-bar.foo.com"), then the longest prefix wildcard ("foo.*"), then "*".
 * Hosts compare case-insensitively; a domain with a port matches a Host with that port. Duplicate domains are invalid.
 */
export class RouteTable {
  private constructor(
    readonly name: string,
    private readonly exact: Map<string, VirtualHost>,
    private readonly suffixes: ReadonlyArray<[string, VirtualHost]>,
    private readonly prefixes: ReadonlyArray<[string, VirtualHost]>,
    private readonly any: VirtualHost | undefined,
  ) {}

  static compile(resourceName: string, rc: XdsObject): RouteTable {
    const exact = new Map<string, VirtualHost>();
    const suffixes: Array<[string, VirtualHost]> = [];
    const prefixes: Array<[string, VirtualHost]> = [];
    let any: VirtualHost | undefined;
    const seen = new Set<string>();
    // Envoy applies header edits most specific first (most_specific_header_mutations_wins false): route, vhost, config.
    const rcReq = compileHeaderMutation(resourceName, rc, "request");
    const rcResp = compileHeaderMutation(resourceName, rc, "response");
    for (const vh of arrayField(resourceName, rc, "virtual_hosts")) {
      const vhName = stringField(resourceName, vh, "name") ?? "";
      const where = `${resourceName}: virtual host ${vhName}`;
      const enclosing = {
        request: levels(compileHeaderMutation(where, vh, "request"), rcReq),
        response: levels(compileHeaderMutation(where, vh, "response"), rcResp),
        virtualHostRaw: vh,
        virtualHostFilterConfig: filterConfigs(where, vh),
      };
      const host: VirtualHost = { name: vhName, routes: arrayField(where, vh, "routes").map((r) => RouteEntry.compile(where, r, enclosing)) };
      for (const raw of arrayField(resourceName, vh, "domains") as unknown[]) {
        if (typeof raw !== "string" || raw === "") invalid(where, "empty domain");
        const d = raw.toLowerCase();
        if (seen.has(d)) invalid(resourceName, `duplicate domain ${d}`);
        seen.add(d);
        if (d === "*") any = host;
        else if (d.startsWith("*")) suffixes.push([d.slice(1), host]);
        else if (d.endsWith("*")) prefixes.push([d.slice(0, -1), host]);
        else exact.set(d, host);
      }
    }
    suffixes.sort((a, b) => b[0].length - a[0].length);
    prefixes.sort((a, b) => b[0].length - a[0].length);
    return new RouteTable(resourceName, exact, suffixes, prefixes, any);
  }

  /** The virtual host for a Host/authority value, or undefined. */
  virtualHost(host: string): VirtualHost | undefined {
    const h = host.toLowerCase();
    const e = this.exact.get(h);
    if (e) return e;
    for (let i = 0; i < this.suffixes.length; i++) {
      const [s, vh] = this.suffixes[i];
      if (h.length > s.length && h.endsWith(s)) return vh;
    }
    for (let i = 0; i < this.prefixes.length; i++) {
      const [p, vh] = this.prefixes[i];
      if (h.length > p.length && h.startsWith(p)) return vh;
    }
    return this.any;
  }

  /** First route of the virtual host selected by `req.host` that matches the request, or undefined (→ 404 NR). */
  match(req: RouteRequest): RouteEntry | undefined {
    const vh = this.virtualHost(req.host);
    if (!vh) return undefined;
    const routes = vh.routes;
    const path = pathOnly(req.path);
    let lower: string | undefined;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i];
      if (!r.isCaseSensitive && lower === undefined) lower = path.toLowerCase();
      if (r.matchesPath(req, path, lower ?? path)) return r;
    }
    return undefined;
  }

  /** `match` for a GET with these fields (tests and tools). */
  route(host: string, path: string, headers: readonly string[], method = "GET"): RouteEntry | undefined {
    return this.match({ host, path, headers, method });
  }
}

function levels(...ms: (HeaderMutation | undefined)[]): HeaderMutation[] {
  return ms.filter((m): m is HeaderMutation => m !== undefined);
}
