// A TLS ClientHello reader for tls_inspector: SNI and ALPN from the first bytes of a connection, records possibly fragmented.

/** Envoy's TlsInspector default max_client_hello_size. */
export const MAX_CLIENT_HELLO = 16 * 1024;

export type ClientHelloResult =
  | { readonly kind: "need-more" }
  | { readonly kind: "not-tls" }
  | { readonly kind: "tls"; readonly sni: string; readonly alpn: readonly string[] };

const NEED_MORE: ClientHelloResult = Object.freeze({ kind: "need-more" });
const NOT_TLS: ClientHelloResult = Object.freeze({ kind: "not-tls" });
const TLS_NO_HELLO: ClientHelloResult = Object.freeze({ kind: "tls", sni: "", alpn: Object.freeze([]) });

const CONTENT_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;

/**
 * Reads what has arrived so far (`data` is every byte received, never consumed). "need-more" until the whole
 * ClientHello is there; "not-tls" when the bytes are not a TLS handshake record; "tls" with the SNI ("" when absent)
 * and ALPN list once parsed. A ClientHello larger than MAX_CLIENT_HELLO, or malformed after a valid record header, is
 * TLS without SNI (Envoy marks the connection TLS and continues with what it knows).
 */
export function parseClientHello(data: Buffer): ClientHelloResult {
  // Reassemble the handshake layer from consecutive handshake records (RFC 8446 §5.1: messages may span records).
  const parts: Buffer[] = [];
  let have = 0;
  let off = 0;
  for (;;) {
    if (have >= 4) {
      const hs = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (hs[0] !== HANDSHAKE_CLIENT_HELLO) return TLS_NO_HELLO;
      const need = 4 + readLength(hs);
      if (need > MAX_CLIENT_HELLO) return TLS_NO_HELLO;
      if (have >= need) {
        try {
          return readHello(hs.subarray(4, need));
        } catch {
          return TLS_NO_HELLO;
        }
      }
    }
    if (data.length < off + 5) return off === 0 && data.length > 0 && data[0] !== CONTENT_HANDSHAKE ? NOT_TLS : NEED_MORE;
    if (data[off] !== CONTENT_HANDSHAKE || data[off + 1] !== 3) return off === 0 ? NOT_TLS : TLS_NO_HELLO;
    const len = data.readUInt16BE(off + 3);
    if (len === 0) return TLS_NO_HELLO;
    const end = Math.min(off + 5 + len, data.length);
    parts.push(data.subarray(off + 5, end));
    have += end - off - 5;
    off = end;
  }
}

function readLength(hs: Buffer): number {
  return (hs[1]! << 16) | (hs[2]! << 8) | hs[3]!;
}

/** Walks ClientHello (RFC 8446 §4.1.2) to its extensions; throws RangeError on truncation. */
function readHello(b: Buffer): ClientHelloResult {
  let p = 2 + 32;
  p += 1 + b.readUInt8(p); // legacy_session_id
  p += 2 + b.readUInt16BE(p); // cipher_suites
  p += 1 + b.readUInt8(p); // legacy_compression_methods
  if (p >= b.length) return TLS_NO_HELLO;
  const extEnd = p + 2 + b.readUInt16BE(p);
  p += 2;
  let sni = "";
  const alpn: string[] = [];
  while (p + 4 <= extEnd) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    const body = b.subarray(p + 4, p + 4 + len);
    if (body.length !== len) throw new RangeError("truncated extension");
    if (type === EXT_SERVER_NAME) sni = readServerName(body);
    else if (type === EXT_ALPN) readAlpn(body, alpn);
    p += 4 + len;
  }
  return { kind: "tls", sni, alpn };
}

/** server_name_list (RFC 6066 §3): the first host_name entry, lower-cased. */
function readServerName(b: Buffer): string {
  let p = 2;
  const end = Math.min(b.length, 2 + b.readUInt16BE(0));
  while (p + 3 <= end) {
    const type = b[p]!;
    const len = b.readUInt16BE(p + 1);
    if (type === 0) return b.toString("latin1", p + 3, p + 3 + len).toLowerCase();
    p += 3 + len;
  }
  return "";
}

/** ProtocolNameList (RFC 7301 §3.1). */
function readAlpn(b: Buffer, out: string[]): void {
  let p = 2;
  const end = Math.min(b.length, 2 + b.readUInt16BE(0));
  while (p + 1 <= end) {
    const len = b[p]!;
    out.push(b.toString("latin1", p + 1, p + 1 + len));
    p += 1 + len;
  }
}
