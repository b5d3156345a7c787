// DownstreamConnectionInfo: what filters may know of a request's downstream connection (Envoy's ConnectionInfoProvider + Ssl::ConnectionInfo).

import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

/** The verified peer certificate of a TLS downstream, as Envoy's Ssl::ConnectionInfo exposes it. */
export interface PeerCertificateInfo {
  /** URI SANs (the SPIFFE identity `spiffe://<td>/ns/<ns>/sa/<sa>` for mesh workloads). */
  readonly uriSans: readonly string[];
  readonly dnsSans: readonly string[];
  /** The subject as an RFC 2253 string ("CN=a,O=b"). */
  readonly subject: string;
}

/**
 * Read by filters (rbac) during decodeHeaders; immutable for the life of the connection. Addresses are plain IPs
 * (IPv4-mapped IPv6 forms are unwrapped).
 */
export interface DownstreamConnectionInfo {
  /** The address and port the connection was accepted on (Envoy's downstream local address: destination_ip/port). */
  readonly localAddress: string;
  readonly localPort: number;
  /** The peer's address on the socket (Envoy's direct remote address). */
  readonly directRemoteAddress: string;
  /** The TLS SNI, "" on plaintext. */
  readonly requestedServerName: string;
  /** The peer certificate when the connection is TLS and the peer presented a verified one; undefined otherwise. */
  readonly peerCertificate: PeerCertificateInfo | undefined;
}

/** Strips the IPv4-mapped IPv6 prefix node reports for dual-stack sockets. */
export function plainIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.indexOf(".") > 0 ? ip.slice(7) : ip;
}

/** Reads a socket lazily (one small object per request that has filters). TLS details come from a TLSSocket. */
class SocketConnectionInfo implements DownstreamConnectionInfo {
  private peer: PeerCertificateInfo | undefined | null = null;

  constructor(private readonly socket: Socket | undefined) {}

  get localAddress(): string { return plainIp(this.socket?.localAddress ?? ""); }
  get localPort(): number { return this.socket?.localPort ?? 0; }
  get directRemoteAddress(): string { return plainIp(this.socket?.remoteAddress ?? ""); }
  get requestedServerName(): string {
    const s = this.socket as Partial<TLSSocket> | undefined;
    return s?.encrypted === true && typeof s.servername === "string" ? s.servername : "";
  }

  get peerCertificate(): PeerCertificateInfo | undefined {
    if (this.peer === null) this.peer = tlsPeer(this.socket as Partial<TLSSocket> | undefined);
    return this.peer;
  }
}

/** The connection info of a downstream socket (undefined socket: empty addresses, no TLS). */
export function socketConnectionInfo(socket: Socket | undefined): DownstreamConnectionInfo {
  return new SocketConnectionInfo(socket);
}

/** A TLSSocket's authorized peer certificate: node's `subjectaltname` ("URI:a, DNS:b") split, subject joined. */
function tlsPeer(s: Partial<TLSSocket> | undefined): PeerCertificateInfo | undefined {
  if (s?.encrypted !== true || s.authorized !== true || typeof s.getPeerCertificate !== "function") return undefined;
  const cert = s.getPeerCertificate();
  if (cert === null || cert === undefined || Object.keys(cert).length === 0) return undefined;
  const uriSans: string[] = [];
  const dnsSans: string[] = [];
  for (const entry of (cert.subjectaltname ?? "").split(", ")) {
    if (entry.startsWith("URI:")) uriSans.push(entry.slice(4));
    else if (entry.startsWith("DNS:")) dnsSans.push(entry.slice(4));
  }
  const subject = Object.entries(cert.subject ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`).reverse().join(",");
  return { uriSans, dnsSans, subject };
}
