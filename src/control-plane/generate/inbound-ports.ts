// The inbound ports of a sidecar: each port of each service that selects this proxy's workload.

import { selectorMatches } from "../model/labels.js";
import type { Proxy } from "../model/proxy.js";
import type { PushContext } from "../model/push-context.js";
import { isHttpPort, type Service } from "../model/service.js";

export interface InboundPort {
  /** The port the workload receives on (endpoint port: ports[name] ?? targetPort ?? number); the proxy binds <ip>:port. */
  port: number;
  servicePort: number;
  services: Service[];
  /** True when no service declares the port as HTTP (or leaves it undeclared): the inbound listener is tcp_proxy. */
  tcp: boolean;
}

/** Service port → endpoint port for the inline endpoints of `svc` whose address is this proxy's IP. */
function endpointPortsFor(push: PushContext, svc: Service, proxy: Proxy): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of svc.ports) {
    for (const ep of push.endpoints(svc.hostname, p.number)) {
      if (ep.address === proxy.ip) out.set(p.number, ep.port);
    }
  }
  return out;
}

/**
 * Services select a proxy through a workloadSelector matching its labels in its namespace, or through an inline
 * ServiceEntry endpoint whose address is the proxy's IP. One InboundPort per distinct endpoint port, ascending.
 * A port is HTTP when any of its services says HTTP (or leaves the protocol undeclared), else TCP.
 */
export function inboundPorts(proxy: Proxy, push: PushContext): InboundPort[] {
  const byPort = new Map<number, InboundPort>();
  const hasLabels = Object.keys(proxy.labels).length > 0;
  for (const svc of push.services()) {
    let ports: Map<number, number>;
    if (svc.workloadSelector) {
      if (!hasLabels || svc.namespace !== proxy.namespace || !selectorMatches(svc.workloadSelector, proxy.labels)) continue;
      ports = new Map(svc.ports.map((p) => [p.number, p.targetPort ?? p.number]));
    } else {
      ports = endpointPortsFor(push, svc, proxy);
      if (ports.size === 0) continue;
    }
    for (const p of svc.ports) {
      const port = ports.get(p.number);
      if (port === undefined) continue;
      const entry = byPort.get(port);
      if (entry) {
        entry.services.push(svc);
        if (isHttpPort(p)) entry.tcp = false;
      } else byPort.set(port, { port, servicePort: p.number, services: [svc], tcp: !isHttpPort(p) });
    }
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}
