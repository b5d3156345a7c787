// The VirtualService `tcp:` and `tls:` route sections (Istio networking v1 TCPRoute, TLSRoute) as the listener generator reads them.

import type { DestinationSpec, VirtualServiceSpec } from "../../model/istio-specs.js";

/** Istio L4MatchAttributes / TLSMatchAttributes (sniHosts only in TLS matches). */
export interface L4MatchSpec {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  gateways?: string[];
  sniHosts?: string[];
}

export interface RouteDestinationSpec {
  destination: DestinationSpec;
  weight?: number;
}

export interface L4RouteSpec {
  match?: L4MatchSpec[];
  route?: RouteDestinationSpec[];
}

/** A VirtualService with its L4 sections. */
export type L4VirtualServiceSpec = VirtualServiceSpec & { tcp?: L4RouteSpec[]; tls?: L4RouteSpec[] };
