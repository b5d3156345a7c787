// Incremental chunked transfer-coding scanner (RFC 9112 §7.1): finds the message end and, optionally, the payload bytes.

const CR = 13, LF = 10;
const enum S { SizeStart, Size, Ext, SizeLf, Data, DataCr, DataLf, TrailerStart, TrailerLine, TrailerLf, FinalLf, Done }

/** Called with payload bytes `buf[start, end)` (no framing). */
export type ChunkDataSink = (buf: Buffer, start: number, end: number) => void;

/** One message's chunked body. Reusable via reset(). Chunk sizes above 2^48 are rejected. */
export class ChunkedDecoder {
  private state = S.SizeStart;
  private remaining = 0;

  get done(): boolean { return this.state === S.Done; }

  reset(): void {
    this.state = S.SizeStart;
    this.remaining = 0;
  }

  /**
   * Consumes `buf[start, end)`. Returns the index just past the last byte of this message (< end when the body
   * ended inside the buffer and later bytes belong to the next message), `end` when more is needed, or -1 when
   * the framing is malformed. `sink`, when given, receives the payload bytes.
   */
  feed(buf: Buffer, start: number, end: number, sink?: ChunkDataSink): number {
    let pos = start;
    let state = this.state;
    while (pos < end) {
      const c = buf[pos];
      switch (state) {
        case S.SizeStart:
        case S.Size: {
          const h = hexValue(c);
          if (h >= 0) {
            if (this.remaining > 0xffffffffffff / 16) return -1;
            this.remaining = this.remaining * 16 + h;
            state = S.Size;
            pos++;
          } else if (state === S.SizeStart) {
            return -1;
          } else if (c === CR) {
            state = S.SizeLf; pos++;
          } else if (c === 0x3b || c === 0x20 || c === 0x09) {
            state = S.Ext; pos++;
          } else {
            return -1;
          }
          break;
        }
        case S.Ext:
          if (c === CR) state = S.SizeLf;
          else if (c === LF) return -1;
          pos++;
          break;
        case S.SizeLf:
          if (c !== LF) return -1;
          pos++;
          state = this.remaining === 0 ? S.TrailerStart : S.Data;
          break;
        case S.Data: {
          const n = Math.min(this.remaining, end - pos);
          if (sink) sink(buf, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) state = S.DataCr;
          break;
        }
        case S.DataCr:
          if (c !== CR) return -1;
          pos++; state = S.DataLf;
          break;
        case S.DataLf:
          if (c !== LF) return -1;
          pos++; state = S.SizeStart;
          break;
        case S.TrailerStart:
          if (c === CR) state = S.FinalLf;
          else if (c === LF) return -1;
          else state = S.TrailerLine;
          pos++;
          break;
        case S.TrailerLine:
          if (c === CR) state = S.TrailerLf;
          else if (c === LF) return -1;
          pos++;
          break;
        case S.TrailerLf:
          if (c !== LF) return -1;
          pos++; state = S.TrailerStart;
          break;
        case S.FinalLf:
          if (c !== LF) return -1;
          this.state = S.Done;
          return pos + 1;
        case S.Done:
          return pos;
      }
    }
    this.state = state;
    return end;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
