// ServiceEntry semantic rules (ValidateServiceEntry in istio/istio pkg/config/validation).

import { validateFQDN, validateWildcardDomain, isDNS1123Label } from "./host-rules.js";
import type { Issues } from "./issues.js";
import { isHTTPProtocol, isTCPProtocol, isTLSProtocol, parseProtocol } from "./protocol.js";
import { arr, num, obj, str, type Obj } from "./spec-access.js";
import { validateWorkloadEntry } from "./validate-workload-entry.js";
import { validateExportTo, validateSelector } from "./validate-workload-selector.js";
import { isIPAddress, validateIPSubnet, validateLabels, validatePort } from "./value-rules.js";

export function validateServiceEntry(spec: Obj, namespace: string, out: Issues): void {
  const base = ["spec"];
  validateSelector(spec.workloadSelector, "labels", [...base, "workloadSelector"], out);
  if (spec.workloadSelector !== undefined && spec.endpoints !== undefined) {
    out.error(base, "only one of WorkloadSelector or Endpoints is allowed in Service Entry");
  }
  const hosts = arr(spec.hosts).map(str);
  if (hosts.length === 0) out.error([...base, "hosts"], "service entry must have at least one host");
  hosts.forEach((h, i) => {
    if (h === "*") out.error([...base, "hosts", i], `invalid host ${h}`);
    else out.error([...base, "hosts", i], validateWildcardDomain(h));
  });

  const resolution = str(spec.resolution) || "NONE";
  const addresses = arr(spec.addresses).map(str);
  let cidr = false;
  addresses.forEach((a, i) => {
    cidr ||= a.includes("/");
    out.error([...base, "addresses", i], validateIPSubnet(a));
  });
  if (cidr && resolution !== "NONE" && resolution !== "STATIC") {
    out.error([...base, "addresses"], "CIDR addresses are allowed only for NONE/STATIC resolution types");
  }

  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  const protocols: (string | undefined)[] = [];
  arr(spec.ports).forEach((p, i) => {
    const path = [...base, "ports", i];
    const port = obj(p);
    if (!port) return out.error(path, "service entry port may not be null");
    const name = str(port.name);
    const number = num(port.number);
    if (portNames.has(name)) out.error([...path, "name"], `service entry port name "${name}" already defined`);
    if (portNumbers.has(number)) out.error([...path, "number"], `service entry port ${number} already defined`);
    portNames.add(name);
    portNumbers.add(number);
    if (port.targetPort !== undefined && port.targetPort !== 0) {
      out.error([...path, "targetPort"], validatePort(port.targetPort));
      if (resolution === "NONE") out.warn([...path, "targetPort"], "targetPort has no effect when resolution mode is NONE");
    }
    const protocol = parseProtocol(str(port.protocol));
    protocols.push(protocol);
    if (addresses.length === 0 && (protocol === "" || protocol === "TCP")) {
      out.warn(path, "addresses are required for ports serving TCP (or unset) protocol when ISTIO_META_DNS_AUTO_ALLOCATE is not set on a proxy");
    }
    if (!isDNS1123Label(name)) out.error([...path, "name"], `invalid port name: ${name}`);
    if (protocol === undefined) out.error([...path, "protocol"], `unsupported protocol: ${str(port.protocol)}`);
    out.error([...path, "number"], validatePort(port.number));
  });

  const endpoints = arr(spec.endpoints);
  switch (resolution) {
    case "NONE":
      if (endpoints.length > 0) out.error([...base, "endpoints"], "no endpoints should be provided for resolution type none");
      if (spec.workloadSelector !== undefined) out.warn([...base, "workloadSelector"], "workloadSelector should not be set when resolution mode is NONE");
      break;
    case "STATIC":
      endpoints.forEach((e, i) => {
        const ep = obj(e);
        if (!ep) return out.error([...base, "endpoints", i], "endpoint cannot be nil");
        validateWorkloadEntry(ep, portNames, false, [...base, "endpoints", i], out);
      });
      break;
    case "DNS":
    case "DNS_ROUND_ROBIN":
      if (endpoints.length === 0) {
        hosts.forEach((h, i) => {
          if (validateFQDN(h)) out.error([...base, "hosts", i], `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`);
        });
      }
      if (resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1) {
        out.error([...base, "endpoints"], `there must only be 0 or 1 endpoint for resolution mode ${resolution}`);
      }
      endpoints.forEach((e, i) => {
        const path = [...base, "endpoints", i];
        const ep = obj(e);
        if (!ep) return out.error(path, "endpoint cannot be nil");
        const addr = str(ep.address);
        if (!isIPAddress(addr) && validateFQDN(addr)) out.error([...path, "address"], `endpoint address "${addr}" is not a valid FQDN or an IP address`);
        for (const reason of validateLabels(ep.labels)) out.error([...path, "labels"], reason);
        for (const [name, port] of Object.entries(obj(ep.ports) ?? {})) {
          if (!portNames.has(name)) out.error([...path, "ports", name], `endpoint port ${String(port)} is not defined by the service entry`);
          if (!isDNS1123Label(name)) out.error([...path, "ports", name], `invalid port name: ${name}`);
          out.error([...path, "ports", name], validatePort(port));
        }
      });
      if (spec.workloadSelector !== undefined) out.warn([...base, "workloadSelector"], `workloadSelector should not be set when resolution mode is ${resolution}`);
      if (addresses.length > 0 && hosts.length > 1 && protocols.some(isTCPProtocol)) {
        out.warn([...base, "hosts"], "service entry can not have more than one host specified simultaneously with address and tcp port");
      }
      break;
    default:
      out.error([...base, "resolution"], `unsupported resolution type ${resolution}`);
  }
  if (resolution !== "NONE" && hosts.length > 1 && protocols.some((p) => !isHTTPProtocol(p) && !isTLSProtocol(p))) {
    out.error([...base, "ports"], "multiple hosts provided with non-HTTP, non-TLS ports");
  }
  validateExportTo(spec.exportTo, namespace, true, [...base, "exportTo"], out);
}
