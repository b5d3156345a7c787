// Calls an external authorization service once per request: Envoy's HTTP (raw) and gRPC (envoy.service.auth.v3.Authorization/Check) clients.

import { Agent, request as httpRequest } from "node:http";
import * as grpc from "@grpc/grpc-js";
import { messageType } from "../../../xds/proto-root.js";
import type { RequestHead } from "../../http/request-head.js";
import type { DownstreamConnectionInfo } from "../../http/connection-info.js";
import type { ExtAuthzGrpcService, ExtAuthzHttpService, HeaderNamePredicate } from "./ext-authz-config.js";

/** The service's answer. Header lists are flat lower-case [name, value, ...]. */
export type CheckResult =
  | { readonly kind: "ok"; readonly upstreamHeaders: readonly string[]; readonly appendHeaders: readonly string[]; readonly removeHeaders: readonly string[]; readonly clientHeaders: readonly string[] }
  | { readonly kind: "denied"; readonly status: number; readonly body: string; readonly headers: readonly string[] }
  | { readonly kind: "error"; readonly reason: string };

/** An outstanding check; cancel() drops it (the callback is not called afterwards). */
export interface CheckCall { cancel(): void }

export interface CheckTarget {
  readonly address: string;
  readonly port: number;
}

/** The most of an authorization response body that is read (larger bodies fail the check). */
const MAX_BODY = 64 * 1024;
/** Headers Envoy's HTTP client always sends to the authorization service (besides method and path). */
const ALWAYS_SENT = new Set(["host", "authorization", "content-length"]);
/** Response headers never copied from the authorization service's answer. */
const NOT_COPIED = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"]);

const agent = new Agent({ keepAlive: true });

/** The HTTP service: the request's method and path_prefix + path, allowed headers, empty body; 200 means OK. */
export function httpCheck(svc: ExtAuthzHttpService, target: CheckTarget, head: RequestHead, timeoutMs: number, done: (r: CheckResult) => void): CheckCall {
  let finished = false;
  const finish = (r: CheckResult): void => { if (!finished) { finished = true; done(r); } };
  const headers: Record<string, string> = { "content-length": "0" };
  if (head.host !== "") headers.host = head.host;
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    if ((ALWAYS_SENT.has(name) && name !== "content-length") || svc.allowedHeaders?.(name) === true) headers[name] = h[i + 1];
  }
  for (let i = 0; i < svc.headersToAdd.length; i += 2) headers[svc.headersToAdd[i]] = svc.headersToAdd[i + 1];
  const req = httpRequest({ host: target.address, port: target.port, method: head.method, path: svc.pathPrefix + head.path, headers, agent }, (res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { req.destroy(); finish({ kind: "error", reason: "authorization response body too large" }); return; }
      chunks.push(c);
    });
    res.on("end", () => {
      const status = res.statusCode ?? 0;
      const raw = res.rawHeaders;
      if (status === 200) {
        finish({ kind: "ok", upstreamHeaders: pick(raw, svc.allowedUpstreamHeaders, false), appendHeaders: [], removeHeaders: [], clientHeaders: pick(raw, svc.allowedClientHeadersOnSuccess, false) });
      } else {
        finish({ kind: "denied", status: status >= 200 && status < 600 ? status : 403, body: Buffer.concat(chunks).toString("utf8"), headers: pick(raw, svc.allowedClientHeaders, true) });
      }
    });
    res.on("error", (err) => finish({ kind: "error", reason: err.message }));
  });
  req.on("error", (err) => finish({ kind: "error", reason: err.message }));
  req.setTimeout(timeoutMs, () => { req.destroy(); finish({ kind: "error", reason: `timeout after ${timeoutMs} ms` }); });
  req.end();
  return { cancel: () => { finished = true; req.destroy(); } };
}

/** Response headers matching `allowed`; unset `allowed` means none, or (`allByDefault`, denied responses) all but NOT_COPIED. */
function pick(raw: string[], allowed: HeaderNamePredicate, allByDefault: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (allowed === undefined ? allByDefault && !NOT_COPIED.has(name) : allowed(name)) out.push(name, raw[i + 1]);
  }
  return out;
}

const CHECK_REQUEST = messageType("envoy.service.auth.v3.CheckRequest");
const CHECK_RESPONSE = messageType("envoy.service.auth.v3.CheckResponse");
const CHECK_PATH = "/envoy.service.auth.v3.Authorization/Check";
const serialize = (o: object): Buffer => Buffer.from(CHECK_REQUEST.encode(CHECK_REQUEST.fromObject(o)).finish());
const deserialize = (b: Buffer): Record<string, unknown> => CHECK_RESPONSE.toObject(CHECK_RESPONSE.decode(b), { longs: Number }) as Record<string, unknown>;

/** One channel per authorization server address, shared by every filter config. */
const clients = new Map<string, grpc.Client>();

function grpcClient(target: CheckTarget, authority: string): grpc.Client {
  const key = `${target.address}:${target.port}|${authority}`;
  let c = clients.get(key);
  if (c === undefined) {
    c = new grpc.Client(`${target.address}:${target.port}`, grpc.credentials.createInsecure(), authority === "" ? {} : { "grpc.default_authority": authority });
    clients.set(key, c);
  }
  return c;
}

/** The gRPC service: a CheckRequest with the request's attributes; status OK means allowed, else denied_response. */
export function grpcCheck(svc: ExtAuthzGrpcService, target: CheckTarget, head: RequestHead, conn: DownstreamConnectionInfo | undefined, timeoutMs: number, done: (r: CheckResult) => void): CheckCall {
  let finished = false;
  const headers: Record<string, string> = { ":authority": head.host, ":method": head.method, ":path": head.path };
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) headers[h[i]] = headers[h[i]] === undefined ? h[i + 1] : `${headers[h[i]]},${h[i + 1]}`;
  const q = head.path.indexOf("?");
  const peer = conn?.peerCertificate;
  const checkRequest = {
    attributes: {
      source: { address: socketAddress(conn?.directRemoteAddress), principal: peer?.uriSans[0] ?? "" },
      destination: { address: socketAddress(conn?.localAddress, conn?.localPort) },
      request: { http: {
        id: headers["x-request-id"] ?? "", method: head.method, headers, host: head.host, scheme: "http", protocol: "HTTP/1.1",
        path: head.path, query: q < 0 ? "" : head.path.slice(q + 1),
      } },
    },
  };
  const call = grpcClient(target, svc.authority).makeUnaryRequest(CHECK_PATH, serialize, deserialize, checkRequest, new grpc.Metadata(), { deadline: Date.now() + timeoutMs },
    (err, resp) => {
      if (finished) return;
      finished = true;
      if (err || !resp) { done({ kind: "error", reason: err?.message ?? "empty CheckResponse" }); return; }
      done(checkResult(resp));
    });
  return { cancel: () => { finished = true; call.cancel(); } };
}

function socketAddress(address: string | undefined, port = 0): object {
  return { socket_address: { address: address ?? "", port_value: port } };
}

interface HeaderValueOption { header?: { key?: string; value?: string }; append?: { value?: boolean } }

function checkResult(resp: Record<string, unknown>): CheckResult {
  const code = Number((resp.status as { code?: number } | undefined)?.code ?? 0);
  if (code === 0) {
    const ok = (resp.ok_response ?? {}) as { headers?: HeaderValueOption[]; headers_to_remove?: string[]; response_headers_to_add?: HeaderValueOption[] };
    const set: string[] = [];
    const append: string[] = [];
    for (const o of ok.headers ?? []) (o.append?.value === true ? append : set).push(String(o.header?.key ?? "").toLowerCase(), String(o.header?.value ?? ""));
    return { kind: "ok", upstreamHeaders: set, appendHeaders: append, removeHeaders: (ok.headers_to_remove ?? []).map((n) => n.toLowerCase()), clientHeaders: flatHeaders(ok.response_headers_to_add) };
  }
  const denied = (resp.denied_response ?? {}) as { status?: { code?: number }; headers?: HeaderValueOption[]; body?: string };
  const status = Number(denied.status?.code ?? 0);
  return { kind: "denied", status: status >= 200 && status < 600 ? status : 403, body: denied.body ?? "", headers: flatHeaders(denied.headers) };
}

function flatHeaders(options: HeaderValueOption[] | undefined): string[] {
  const out: string[] = [];
  for (const o of options ?? []) out.push(String(o.header?.key ?? "").toLowerCase(), String(o.header?.value ?? ""));
  return out;
}
