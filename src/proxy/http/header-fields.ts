// HTTP/1.1 header-field parsing straight from a Buffer (RFC 9112 §5), strict: no obs-fold, no bare CR/LF, token names.

/** 1 for RFC 9110 tchar bytes. */
export const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** 1 for bytes allowed inside a field value: VCHAR, obs-text, SP, HTAB. */
const FIELD_VALUE = new Uint8Array(256);
for (let c = 0x20; c <= 0x7e; c++) FIELD_VALUE[c] = 1;
for (let c = 0x80; c <= 0xff; c++) FIELD_VALUE[c] = 1;
FIELD_VALUE[0x09] = 1;

const CR = 13, LF = 10, COLON = 58, SP = 32, HTAB = 9;

/**
 * Parses header lines in `buf[pos, end)`, where `end` is the index of the CRLF that terminates the block
 * (every line, the last included, ends with CRLF). Appends lowercase names and trimmed values to `out`
 * as a flat [name, value, ...] list. Returns false on any malformed line.
 */
export function parseHeaderFields(buf: Buffer, pos: number, end: number, out: string[]): boolean {
  while (pos < end) {
    const nameStart = pos;
    let upper = false;
    let c = buf[pos];
    while (TOKEN[c] === 1) {
      if (c >= 0x41 && c <= 0x5a) upper = true;
      c = buf[++pos];
    }
    if (c !== COLON || pos === nameStart) return false;
    const name = upper ? buf.toString("latin1", nameStart, pos).toLowerCase() : buf.toString("latin1", nameStart, pos);
    pos++;
    while (buf[pos] === SP || buf[pos] === HTAB) pos++;
    const valueStart = pos;
    c = buf[pos];
    while (FIELD_VALUE[c] === 1) c = buf[++pos];
    if (c !== CR || buf[pos + 1] !== LF) return false;
    let valueEnd = pos;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    out.push(name, buf.toString("latin1", valueStart, valueEnd));
    pos += 2;
  }
  return pos === end;
}

/** Parses a Content-Length value (1*DIGIT, at most 15 digits); -1 when malformed. */
export function parseContentLength(v: string): number {
  const n = v.length;
  if (n === 0 || n > 15) return -1;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    x = x * 10 + d;
  }
  return x;
}

/** True when a comma-separated header value lists `token` (lowercase), case-insensitively. */
export function hasToken(value: string, token: string): boolean {
  const v = value.toLowerCase();
  if (v === token) return true;
  let start = 0;
  while (start <= v.length) {
    let comma = v.indexOf(",", start);
    if (comma === -1) comma = v.length;
    if (v.slice(start, comma).trim() === token) return true;
    start = comma + 1;
  }
  return false;
}
