// hash32: MurmurHash3 (x86, 32-bit) over a string's UTF-8 bytes; the one hash of load balancing and hash policies.

/** Scratch state of the running hash (single-threaded; hash32 resets it), so hashing allocates nothing. */
let h = 0;
let block = 0;
let filled = 0;
let length = 0;

function mixBlock(k: number): void {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function feed(byte: number): void {
  block |= byte << (filled << 3);
  length++;
  if (++filled === 4) {
    mixBlock(block);
    block = 0;
    filled = 0;
  }
}

/**
 * MurmurHash3_x86_32 of `s` encoded as UTF-8 (lone surrogates as U+FFFD, like TextEncoder), with `seed`.
 * Returns an unsigned 32-bit integer. No allocation: the bytes are produced and mixed one at a time.
 */
export function hash32(s: string, seed = 0): number {
  h = seed | 0;
  block = 0;
  filled = 0;
  length = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) { feed(c); continue; }
    if (c < 0x800) { feed(0xc0 | (c >> 6)); feed(0x80 | (c & 63)); continue; }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        feed(0xf0 | (c >> 18)); feed(0x80 | ((c >> 12) & 63)); feed(0x80 | ((c >> 6) & 63)); feed(0x80 | (c & 63));
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    feed(0xe0 | (c >> 12)); feed(0x80 | ((c >> 6) & 63)); feed(0x80 | (c & 63));
  }
  if (filled > 0) {
    let k = Math.imul(block, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Envoy's way of combining hash policies (HashPolicyImpl::generateHash): rotate the old value left by one, xor the new. */
export function combineHash(old: number, next: number): number {
  return (((old << 1) | (old >>> 31)) ^ next) >>> 0;
}

/** 16 lowercase hex digits from two seeds of hash32 (a generated cookie value, as Envoy's Hex::uint64ToHex of a 64-bit hash). */
export function hashHex64(s: string): string {
  return hash32(s, 0).toString(16).padStart(8, "0") + hash32(s, 0x9747b28c).toString(16).padStart(8, "0");
}
