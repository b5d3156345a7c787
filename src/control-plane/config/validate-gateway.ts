// Gateway semantic rules (ValidateGateway, validateServer, validateTLSOptions in istio/istio pkg/config/validation).

import { isDNS1123Label, validateNamespaceSlashHost } from "./host-rules.js";
import type { Issues } from "./issues.js";
import { isHTTPProtocol, isTLSProtocol, parseProtocol } from "./protocol.js";
import { arr, num, obj, str, type Obj } from "./spec-access.js";
import { isIPAddress, validatePort } from "./value-rules.js";

export function validateGateway(spec: Obj, name: string, out: Issues): void {
  if (!isDNS1123Label(name)) out.error(["metadata", "name"], `invalid gateway name: "${name}"`);
  const servers = arr(spec.servers);
  if (servers.length === 0) out.error(["spec", "servers"], "gateway must have at least one server");
  const portNames = new Set<string>();
  servers.forEach((s, i) => {
    const path = ["spec", "servers", i];
    const server = obj(s);
    if (!server) return out.error(path, "server may not be nil");
    const hosts = arr(server.hosts).map(str);
    if (hosts.length === 0) out.error([...path, "hosts"], "server config must contain at least one host");
    hosts.forEach((h, j) => out.error([...path, "hosts", j], validateNamespaceSlashHost(h, true)));
    const port = obj(server.port);
    const tls = obj(server.tls);
    const bind = str(server.bind);
    if (!port) {
      out.error([...path, "port"], "port is required");
    } else {
      const protocol = parseProtocol(str(port.protocol));
      const portName = str(port.name);
      if (protocol === undefined || protocol === "") {
        out.error([...path, "port", "protocol"], `invalid protocol "${str(port.protocol)}", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`);
      }
      if (num(port.number) > 0 || !bind.startsWith("unix://")) out.error([...path, "port", "number"], validatePort(port.number));
      if (num(port.targetPort) > 0) out.error([...path, "port", "targetPort"], "targetPort has no impact on Gateways");
      if (portName === "") out.error([...path, "port", "name"], "port name must be set");
      else if (portNames.has(portName)) out.error([...path, "port", "name"], `port names in servers must be unique: duplicate name ${portName}`);
      portNames.add(portName);
      if (protocol !== undefined && protocol !== "") {
        if (isTLSProtocol(protocol) && !tls) out.error([...path, "tls"], "server must have TLS settings for HTTPS/TLS protocols");
        else if (!isTLSProtocol(protocol) && tls) {
          const redirectOnly = tls.httpsRedirect === true && !str(tls.caCertificates) && !str(tls.privateKey) && !str(tls.serverCertificate);
          if (!isHTTPProtocol(protocol)) out.error([...path, "tls"], "server cannot have TLS settings for non HTTPS/TLS ports");
          else if (!redirectOnly) out.error([...path, "tls"], "server cannot have TLS settings for plain text HTTP ports");
        }
        if (!isHTTPProtocol(protocol) && tls?.httpsRedirect === true) out.warn([...path, "tls", "httpsRedirect"], "tls.httpsRedirect should only be used with http servers");
      }
    }
    if (bind && !bind.startsWith("unix://") && !isIPAddress(bind)) out.error([...path, "bind"], `${bind} is not a valid IP`);
    if (tls) validateServerTLS(tls, [...path, "tls"], out);
  });
}

/** Server-side TLS settings (validateTLSOptions); shared with Sidecar ingress. */
export function validateServerTLS(tls: Obj, path: readonly (string | number)[], out: Issues): void {
  const mode = str(tls.mode) || "PASSTHROUGH";
  const has = (f: string) => str(tls[f]) !== "";
  if (mode === "ISTIO_MUTUAL") {
    if (has("serverCertificate")) out.error([...path, "serverCertificate"], "ISTIO_MUTUAL TLS cannot have associated server certificate");
    if (has("privateKey")) out.error([...path, "privateKey"], "ISTIO_MUTUAL TLS cannot have associated private key");
    if (has("caCertificates")) out.error([...path, "caCertificates"], "ISTIO_MUTUAL TLS cannot have associated CA bundle");
    if (has("credentialName")) out.error([...path, "credentialName"], "ISTIO_MUTUAL TLS cannot have associated credentialName");
    return;
  }
  if ((mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH") && ["caCrl", "serverCertificate", "privateKey", "caCertificates", "credentialName"].some(has)) {
    out.warn(path, `${mode} mode does not use certificates, they will be ignored`);
  }
  if ((mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL") && has("credentialName")) return;
  if (mode === "SIMPLE") {
    if (!has("serverCertificate")) out.error([...path, "serverCertificate"], "SIMPLE TLS requires a server certificate");
    if (!has("privateKey")) out.error([...path, "privateKey"], "SIMPLE TLS requires a private key");
  } else if (mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL") {
    if (!has("serverCertificate")) out.error([...path, "serverCertificate"], "MUTUAL TLS requires a server certificate");
    if (!has("privateKey")) out.error([...path, "privateKey"], "MUTUAL TLS requires a private key");
    if (!has("caCertificates")) out.error([...path, "caCertificates"], "MUTUAL TLS requires a client CA bundle");
  }
  if (has("caCrl")) {
    if (has("credentialName")) out.error([...path, "caCrl"], "CRL is not supported with credentialName. CRL has to be specified in the credential");
    if (mode === "SIMPLE") out.error([...path, "caCrl"], "CRL is not supported with SIMPLE TLS");
  }
}
