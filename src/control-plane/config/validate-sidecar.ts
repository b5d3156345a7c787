// Sidecar semantic rules (ValidateSidecar in istio/istio pkg/config/validation); the one-selector-less-per-namespace rule is an analyzer check and not done here.

import { validateFQDN, validateNamespaceSlashHost, isDNS1123Label } from "./host-rules.js";
import type { Issues } from "./issues.js";
import { parseProtocol } from "./protocol.js";
import { arr, num, obj, str, type Obj } from "./spec-access.js";
import { validateServerTLS } from "./validate-gateway.js";
import { validateConnectionPool } from "./validate-traffic-policy.js";
import { validateSelector } from "./validate-workload-selector.js";
import { isIPAddress, validatePort } from "./value-rules.js";

export function validateSidecar(spec: Obj, out: Issues): void {
  validateSelector(spec.workloadSelector, "labels", ["spec", "workloadSelector"], out);
  const ingress = arr(spec.ingress);
  const egress = arr(spec.egress);
  if (ingress.length === 0 && egress.length === 0 && spec.outboundTrafficPolicy === undefined && spec.inboundConnectionPool === undefined) {
    return out.error(["spec"], "sidecar: empty configuration provided");
  }
  const ingressPorts = new Set<number>();
  ingress.forEach((x, i) => {
    const path = ["spec", "ingress", i];
    const listener = obj(x);
    if (!listener) return out.error(path, "sidecar: ingress may not be null");
    const port = obj(listener.port);
    if (!port) return out.error([...path, "port"], "sidecar: port is required for ingress listeners");
    validateSidecarPort(port, [...path, "port"], out);
    if (ingressPorts.has(num(port.number))) out.error([...path, "port", "number"], "sidecar: ports on IP bound listeners must be unique");
    ingressPorts.add(num(port.number));
    const bind = str(listener.bind);
    if (bind && !isIPAddress(bind)) out.error([...path, "bind"], `${bind} is not a valid IP`);
    const def = str(listener.defaultEndpoint);
    if (def && !def.startsWith("unix://")) {
      const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(def);
      const host = m ? (m[1] ?? m[2] ?? "") : "";
      if (!m) out.error([...path, "defaultEndpoint"], `sidecar: defaultEndpoint "${def}" is not host:port`);
      else {
        if (host !== "" && !["127.0.0.1", "0.0.0.0", "::1", "::"].includes(host)) {
          out.error([...path, "defaultEndpoint"], "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset");
        }
        out.error([...path, "defaultEndpoint"], validatePort(Number(m[3])));
      }
    }
    const tls = obj(listener.tls);
    if (tls) {
      if (arr(tls.subjectAltNames).length > 0) out.error([...path, "tls", "subjectAltNames"], "sidecar: subjectAltNames is not supported in ingress tls");
      if (tls.httpsRedirect === true) out.error([...path, "tls", "httpsRedirect"], "sidecar: httpsRedirect is not supported");
      if (str(tls.credentialName)) out.error([...path, "tls", "credentialName"], "sidecar: credentialName is not currently supported");
      const mode = str(tls.mode);
      if (mode === "ISTIO_MUTUAL" || mode === "AUTO_PASSTHROUGH") out.error([...path, "tls", "mode"], `configuration is invalid: cannot set mode to ${mode} in sidecar ingress tls`);
      validateServerTLS(tls, [...path, "tls"], out);
    }
    validateConnectionPool(obj(listener.connectionPool), [...path, "connectionPool"], out);
  });
  validateConnectionPool(obj(spec.inboundConnectionPool), ["spec", "inboundConnectionPool"], out);

  const egressPorts = new Set<number>();
  let catchAll = false;
  egress.forEach((x, i) => {
    const path = ["spec", "egress", i];
    const listener = obj(x);
    if (!listener) return out.error(path, "egress listener may not be null");
    const port = obj(listener.port);
    if (!port) {
      if (catchAll) return out.error(path, "sidecar: egress can have only one listener with empty port");
      if (i === egress.length - 1) catchAll = true;
      else out.error(path, "sidecar: the egress listener with empty port should be the last listener in the list");
    } else {
      const bind = str(listener.bind);
      if (num(port.number) === 0) {
        if (!bind.startsWith("unix://")) out.error([...path, "bind"], "sidecar: ports with 0 value must have a unix domain socket bind address");
      } else {
        validateSidecarPort(port, [...path, "port"], out);
        if (bind && !isIPAddress(bind)) out.error([...path, "bind"], `${bind} is not a valid IP`);
        if (egressPorts.has(num(port.number))) out.error([...path, "port", "number"], "sidecar: ports on IP bound listeners must be unique");
        egressPorts.add(num(port.number));
      }
    }
    const hosts = arr(listener.hosts).map(str);
    if (hosts.length === 0) out.error([...path, "hosts"], "sidecar: egress listener must contain at least one host");
    hosts.forEach((h, j) => out.error([...path, "hosts", j], validateNamespaceSlashHost(h, false)));
  });

  const otp = obj(spec.outboundTrafficPolicy);
  const egressProxy = obj(otp?.egressProxy);
  if (otp && egressProxy) {
    const path = ["spec", "outboundTrafficPolicy", "egressProxy"];
    if (str(otp.mode) !== "ALLOW_ANY") out.error(path, "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode");
    else {
      out.error([...path, "host"], validateFQDN(str(egressProxy.host)));
      if (!obj(egressProxy.port)) out.error([...path, "port"], "sidecar: egress_proxy port must be non-nil");
    }
  }
}

function validateSidecarPort(port: Obj, path: readonly (string | number)[], out: Issues): void {
  const name = str(port.name);
  if (name && !isDNS1123Label(name)) out.error([...path, "name"], `invalid port name: ${name}`);
  if (parseProtocol(str(port.protocol)) === undefined) out.error([...path, "protocol"], `unsupported protocol: ${str(port.protocol)}`);
  out.error([...path, "number"], validatePort(port.number));
  if (num(port.targetPort) > 0) out.error([...path, "targetPort"], "targetPort has no impact on Sidecars");
}
