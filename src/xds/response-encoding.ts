// Fast protobuf encoding of DiscoveryResponse / DeltaDiscoveryResponse from already-encoded Anys, with per-resource frames cached.

import type { EncodedAny } from "./any.js";

/** The SotW response fields this encoder writes; anything else goes through protobufjs. */
export interface SotwResponseFields {
  version_info?: string;
  resources?: readonly EncodedAny[];
  type_url?: string;
  nonce?: string;
}

/** The delta response fields this encoder writes. */
export interface DeltaResponseFields {
  system_version_info?: string;
  resources?: readonly { name: string; version: string; resource?: EncodedAny | null }[];
  type_url?: string;
  removed_resources?: readonly string[];
  nonce?: string;
}

const SOTW_KEYS = new Set(["version_info", "resources", "type_url", "nonce"]);
const DELTA_KEYS = new Set(["system_version_info", "resources", "type_url", "removed_resources", "nonce"]);

/** DiscoveryResponse.resources[i] frames (tag, length, Any) by Any object: shared by every proxy a resource goes to. */
const sotwFrames = new WeakMap<EncodedAny, Buffer>();
/** DeltaDiscoveryResponse.resources[i] frames by Any object, valid for one (name, version). */
const deltaFrames = new WeakMap<EncodedAny, { name: string; version: string; frame: Buffer }>();

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) { n = Math.floor(n / 128); size++; }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) { buf[pos++] = (n & 0x7f) | 0x80; n = Math.floor(n / 128); }
  buf[pos++] = n;
  return pos;
}

/** tag + length + bytes of one length-delimited field. */
function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function writeBytesField(buf: Buffer, pos: number, tag: number, bytes: Uint8Array): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, bytes.length);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

function writeStringField(buf: Buffer, pos: number, tag: number, s: string): number {
  buf[pos++] = tag;
  const len = Buffer.byteLength(s);
  pos = writeVarint(buf, pos, len);
  return pos + buf.write(s, pos);
}

function stringFieldSize(s: string): number {
  return lenFieldSize(Buffer.byteLength(s));
}

/** google.protobuf.Any{type_url=1, value=2} wrapped as field `tag` of the enclosing message. */
function anySize(any: EncodedAny): number {
  return stringFieldSize(any.type_url) + lenFieldSize(any.value.length);
}

function writeAny(buf: Buffer, pos: number, tag: number, any: EncodedAny): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, anySize(any));
  pos = writeStringField(buf, pos, 0x0a, any.type_url);
  return writeBytesField(buf, pos, 0x12, any.value);
}

function sotwFrame(any: EncodedAny): Buffer {
  let f = sotwFrames.get(any);
  if (f === undefined) {
    f = Buffer.allocUnsafe(lenFieldSize(anySize(any)));
    writeAny(f, 0, 0x12, any);
    sotwFrames.set(any, f);
  }
  return f;
}

/** envoy.service.discovery.v3.Resource{version=1, resource=2, name=3} as field 2 of DeltaDiscoveryResponse. */
function deltaFrame(r: { name: string; version: string; resource?: EncodedAny | null }): Buffer {
  const any = r.resource ?? undefined;
  const cached = any !== undefined ? deltaFrames.get(any) : undefined;
  if (cached !== undefined && cached.name === r.name && cached.version === r.version) return cached.frame;
  const inner = stringFieldSize(r.version) + (any !== undefined ? lenFieldSize(anySize(any)) : 0) + stringFieldSize(r.name);
  const f = Buffer.allocUnsafe(lenFieldSize(inner));
  let pos = 0;
  f[pos++] = 0x12;
  pos = writeVarint(f, pos, inner);
  pos = writeStringField(f, pos, 0x0a, r.version);
  if (any !== undefined) pos = writeAny(f, pos, 0x12, any);
  writeStringField(f, pos, 0x1a, r.name);
  if (any !== undefined) deltaFrames.set(any, { name: r.name, version: r.version, frame: f });
  return f;
}

function onlyKeys(value: object, keys: ReadonlySet<string>): boolean {
  for (const k of Object.keys(value)) if (!keys.has(k)) return false;
  return true;
}

function isEncodedAny(a: unknown): a is EncodedAny {
  return typeof a === "object" && a !== null && typeof (a as EncodedAny).type_url === "string" && (a as EncodedAny).value instanceof Uint8Array;
}

/** Encodes a SotW response, or returns undefined when it has fields or shapes only protobufjs handles. */
export function encodeSotwResponse(value: SotwResponseFields): Buffer | undefined {
  if (!onlyKeys(value, SOTW_KEYS)) return undefined;
  const resources = value.resources ?? [];
  const frames = new Array<Buffer>(resources.length);
  let size = 0;
  for (let i = 0; i < resources.length; i++) {
    const any = resources[i];
    if (!isEncodedAny(any)) return undefined;
    size += (frames[i] = sotwFrame(any)).length;
  }
  const head = (value.version_info ? stringFieldSize(value.version_info) : 0);
  const tail = (value.type_url ? stringFieldSize(value.type_url) : 0) + (value.nonce ? stringFieldSize(value.nonce) : 0);
  const out = Buffer.allocUnsafe(head + size + tail);
  let pos = 0;
  if (value.version_info) pos = writeStringField(out, pos, 0x0a, value.version_info);
  for (const f of frames) { out.set(f, pos); pos += f.length; }
  if (value.type_url) pos = writeStringField(out, pos, 0x22, value.type_url);
  if (value.nonce) pos = writeStringField(out, pos, 0x2a, value.nonce);
  return out;
}

/** Encodes a delta response, or returns undefined when it has fields or shapes only protobufjs handles. */
export function encodeDeltaResponse(value: DeltaResponseFields): Buffer | undefined {
  if (!onlyKeys(value, DELTA_KEYS)) return undefined;
  const resources = value.resources ?? [];
  const frames = new Array<Buffer>(resources.length);
  let size = 0;
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i];
    if (typeof r.name !== "string" || typeof r.version !== "string" || (r.resource != null && !isEncodedAny(r.resource)) || !onlyKeys(r, RESOURCE_KEYS)) return undefined;
    size += (frames[i] = deltaFrame(r)).length;
  }
  let other = 0;
  if (value.system_version_info) other += stringFieldSize(value.system_version_info);
  if (value.type_url) other += stringFieldSize(value.type_url);
  if (value.nonce) other += stringFieldSize(value.nonce);
  for (const n of value.removed_resources ?? []) other += stringFieldSize(n);
  const out = Buffer.allocUnsafe(size + other);
  let pos = 0;
  if (value.system_version_info) pos = writeStringField(out, pos, 0x0a, value.system_version_info);
  for (const f of frames) { out.set(f, pos); pos += f.length; }
  if (value.type_url) pos = writeStringField(out, pos, 0x22, value.type_url);
  if (value.nonce) pos = writeStringField(out, pos, 0x2a, value.nonce);
  for (const n of value.removed_resources ?? []) pos = writeStringField(out, pos, 0x32, n);
  return out;
}

const RESOURCE_KEYS = new Set(["name", "version", "resource"]);
