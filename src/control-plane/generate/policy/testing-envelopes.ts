// Test support: wraps applier output in a whole Cluster or RouteConfiguration so it can be proto round-tripped.

import { CLUSTER_TYPE, ROUTE_TYPE } from "../../../xds/type-urls.js";
import type { EnvoyObject } from "../envoy-objects.js";
import { assertRoundTrip } from "../testing/proto-round-trip.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Round-trips `fields` as part of an EDS cluster; returns the decoded cluster. */
export function clusterRoundTrip(fields: EnvoyObject): Obj {
  return assertRoundTrip(CLUSTER_TYPE, { name: "outbound|80||a.default.svc.cluster.local", type: "EDS", ...fields });
}

/** Round-trips `action` fields in a route's RouteAction and `route` fields on the route; returns the decoded route. */
export function routeRoundTrip(action: EnvoyObject, route: EnvoyObject = {}): Obj {
  const rc = assertRoundTrip(ROUTE_TYPE, {
    name: "80",
    virtual_hosts: [{ name: "a:80", domains: ["a"], routes: [{ match: { prefix: "/" }, route: { cluster: "c", ...action }, ...route }] }],
  }) as Obj;
  return rc.virtual_hosts[0].routes[0];
}
