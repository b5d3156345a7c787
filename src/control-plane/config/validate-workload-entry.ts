// WorkloadEntry and WorkloadGroup rules (validateWorkloadEntry, ValidateWorkloadGroup); also used for ServiceEntry endpoints.

import type { FieldPath } from "./field-path.js";
import { isDNS1123Label, validateFQDN } from "./host-rules.js";
import type { Issues } from "./issues.js";
import { arr, num, obj, str, type Obj } from "./spec-access.js";
import { isIPAddress, validateLabels, validatePort } from "./value-rules.js";

const UNIX_PREFIX = "unix://";

/**
 * One workload entry. `servicePorts` are the owning ServiceEntry's port names (undefined for a standalone
 * WorkloadEntry); `allowFQDN` is false for STATIC ServiceEntry endpoints, which must be IPs.
 */
export function validateWorkloadEntry(we: Obj, servicePorts: ReadonlySet<string> | undefined, allowFQDN: boolean, path: FieldPath, out: Issues): void {
  const addr = str(we.address);
  if (addr === "") {
    if (!str(we.network)) return out.error([...path, "address"], "address is required");
    out.warn([...path, "address"], `address is unset with network "${str(we.network)}"`);
  }
  const ports = obj(we.ports) ?? {};
  if (addr.startsWith(UNIX_PREFIX)) {
    const sock = addr.slice(UNIX_PREFIX.length);
    if (sock === "") out.error([...path, "address"], "unix address must not be empty");
    else if (!sock.startsWith("@") && (!sock.startsWith("/") || sock.endsWith("/"))) out.error([...path, "address"], `${sock} is not an absolute path to a file`);
    if (Object.keys(ports).length > 0) out.error([...path, "ports"], `unix endpoint ${addr} must not include ports`);
    if (servicePorts && servicePorts.size !== 1) out.error(path, "exactly 1 service port required for unix endpoints");
  } else if (addr !== "" && !isIPAddress(addr)) {
    if (!allowFQDN) out.error([...path, "address"], `endpoint address "${addr}" is not a valid IP address`);
    else if (validateFQDN(addr)) out.error([...path, "address"], `endpoint address "${addr}" is not a valid FQDN or an IP address`);
  }
  for (const [name, port] of Object.entries(ports)) {
    if (servicePorts && !servicePorts.has(name)) out.error([...path, "ports", name], `endpoint port ${String(port)} is not defined by the service entry`);
    if (!isDNS1123Label(name)) out.error([...path, "ports", name], `invalid port name: ${name}`);
    out.error([...path, "ports", name], validatePort(port));
  }
  for (const reason of validateLabels(we.labels)) out.error([...path, "labels"], reason);
}

export function validateWorkloadGroup(spec: Obj, out: Issues): void {
  if (!obj(spec.template)) return out.error(["spec", "template"], "template is required");
  const meta = obj(spec.metadata);
  if (meta) for (const reason of validateLabels(meta.labels)) out.error(["spec", "metadata", "labels"], `invalid labels: ${reason}`);
  const probe = obj(spec.probe);
  if (!probe) return;
  const p = ["spec", "probe"];
  for (const f of ["periodSeconds", "initialDelaySeconds", "timeoutSeconds", "successThreshold", "failureThreshold"]) {
    if (num(probe[f]) < 0) out.error([...p, f], `${f} must be non-negative`);
  }
  const httpGet = obj(probe.httpGet);
  const tcpSocket = obj(probe.tcpSocket);
  const exec = obj(probe.exec);
  if (httpGet) {
    out.error([...p, "httpGet", "port"], validatePort(httpGet.port));
    const scheme = str(httpGet.scheme);
    if (scheme && scheme !== "HTTP" && scheme !== "HTTPS") out.error([...p, "httpGet", "scheme"], `httpGet.scheme must be one of "HTTPS", "HTTP"`);
  } else if (tcpSocket) {
    out.error([...p, "tcpSocket", "port"], validatePort(tcpSocket.port));
  } else if (exec) {
    if (arr(exec.command).length === 0) out.error([...p, "exec", "command"], "exec.command is required");
  } else {
    out.error(p, "unknown health check method");
  }
}
