/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) for the digests RADIUS keys with its shared secret:
 * authenticators, User-Password hiding, Message-Authenticator. A RADIUS packet is a few hundred
 * octets, and for inputs that small node:crypto's cost is the object and the OpenSSL context it
 * builds per call (2.5 µs for an MD5, 5.7 µs for an HMAC here), not the hashing. This one keeps a
 * single context per thread and, per secret, the HMAC's two pad blocks already compressed, so a
 * Message-Authenticator costs the packet's blocks plus one. FreeRADIUS carries its own MD5 and
 * HMAC-MD5 for the same reason. test/radius/md5.test.ts holds both to node:crypto.
 *
 * Nothing here is used where MD5's weakness matters beyond what the RADIUS RFCs already accept.
 */

/** The little-endian word at `at`. */
function word(block: Uint8Array, at: number): number {
  return block[at]! | (block[at + 1]! << 8) | (block[at + 2]! << 16) | (block[at + 3]! << 24);
}

/**
 * One 64-octet block at `at` folded into `h` (the four words A, B, C, D): RFC 1321 §3.4's 64
 * steps a = b + ((a + F(b, c, d) + X[k] + T[i]) <<< s), written out with T[i] =
 * floor(|sin(i + 1)| · 2^32) as signed 32-bit literals. Written out because V8 stops inlining a
 * helper called 64 times, and a call boxes T[i] values above 2^31 as heap numbers.
 */
function compress(h: Int32Array, block: Uint8Array, at: number): void {
  const x0 = word(block, at + 0);
  const x1 = word(block, at + 4);
  const x2 = word(block, at + 8);
  const x3 = word(block, at + 12);
  const x4 = word(block, at + 16);
  const x5 = word(block, at + 20);
  const x6 = word(block, at + 24);
  const x7 = word(block, at + 28);
  const x8 = word(block, at + 32);
  const x9 = word(block, at + 36);
  const x10 = word(block, at + 40);
  const x11 = word(block, at + 44);
  const x12 = word(block, at + 48);
  const x13 = word(block, at + 52);
  const x14 = word(block, at + 56);
  const x15 = word(block, at + 60);
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let n: number;
  // Round 1: F.
  n = (a + ((b & c) | (~b & d)) + x0 - 680876936) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x1 - 389564586) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x2 + 606105819) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x3 - 1044525330) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x4 - 176418897) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x5 + 1200080426) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x6 - 1473231341) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x7 - 45705983) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x8 + 1770035416) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x9 - 1958414417) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x10 - 42063) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x11 - 1990404162) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x12 + 1804603682) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x13 - 40341101) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x14 - 1502002290) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x15 + 1236535329) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  // Round 2: G.
  n = (a + ((b & d) | (c & ~d)) + x1 - 165796510) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x6 - 1069501632) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x11 + 643717713) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x0 - 373897302) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x5 - 701558691) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x10 + 38016083) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x15 - 660478335) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x4 - 405537848) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x9 + 568446438) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x14 - 1019803690) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x3 - 187363961) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x13 - 1444681467) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x2 - 51403784) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x7 + 1735328473) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x12 - 1926607734) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  // Round 3: H.
  n = (a + (b ^ c ^ d) + x5 - 378558) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x8 - 2022574463) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x11 + 1839030562) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x14 - 35309556) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x1 - 1530992060) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x4 + 1272893353) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x7 - 155497632) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x10 - 1094730640) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x13 + 681279174) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x0 - 358537222) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x3 - 722521979) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x6 + 76029189) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x9 - 640364487) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x12 - 421815835) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x15 + 530742520) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x2 - 995338651) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  // Round 4: I.
  n = (a + (c ^ (b | ~d)) + x0 - 198630844) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x14 - 1416354905) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x5 - 57434055) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x3 - 1894986606) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x10 - 1051523) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x1 - 2054922799) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x15 - 30611744) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x6 - 1560198380) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x4 - 145523070) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x11 - 1120210379) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x9 - 343485551) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
}

const INITIAL = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);

interface HmacPads {
  inner: Int32Array;
  outer: Int32Array;
}

/** Pads per secret object; secrets live as long as their client entry, so a WeakMap suits. */
const padsBySecret = new WeakMap<Uint8Array, HmacPads>();

/**
 * An MD5 (or HMAC-MD5) computation fed in pieces, ranges of a buffer rather than views of it (a
 * view costs more than the few octets it covers). Whole blocks are compressed straight from the
 * caller's buffer; only a partial block is copied.
 */
export class Md5 {
  readonly #h = new Int32Array(4);
  readonly #pending = new Uint8Array(64);
  #filled = 0;
  #length = 0;
  /** The outer pad's state while an HMAC is computed, else null. */
  #outer: Int32Array | null = null;

  constructor() {
    this.start();
  }

  start(state: Int32Array = INITIAL, length = 0): this {
    this.#h.set(state);
    this.#filled = 0;
    this.#length = length;
    this.#outer = null;
    return this;
  }

  /** Begins HMAC-MD5 under `secret` (RFC 2104), its two pad blocks taken from the per-secret cache. */
  startHmac(secret: Uint8Array): this {
    const pads = padsFor(secret);
    this.start(pads.inner, 64);
    this.#outer = pads.outer;
    return this;
  }

  update(data: Uint8Array, from = 0, to = data.length): this {
    this.#length += to - from;
    const pending = this.#pending;
    let filled = this.#filled;
    if (filled > 0) {
      while (filled < 64 && from < to) pending[filled++] = data[from++]!;
      if (filled < 64) {
        this.#filled = filled;
        return this;
      }
      compress(this.#h, pending, 0);
      filled = 0;
    }
    for (; from + 64 <= to; from += 64) compress(this.#h, data, from);
    while (from < to) pending[filled++] = data[from++]!;
    this.#filled = filled;
    return this;
  }

  /** The state after whole blocks only (for HMAC's precomputed pads). */
  state(): Int32Array {
    if (this.#filled !== 0) throw new RangeError('MD5 state taken in the middle of a block');
    return Int32Array.from(this.#h);
  }

  /** Finishes and writes the 16-octet digest (or HMAC) at out[at]. */
  digestInto(out: Uint8Array, at = 0): void {
    this.#finish(out, at);
    const outer = this.#outer;
    if (outer === null) return;
    // RFC 2104 §2: the outer hash over (K ⊕ opad) and the inner digest.
    this.start(outer, 64);
    this.update(out, at, at + 16);
    this.#finish(out, at);
  }

  digest(): Buffer {
    const out = Buffer.allocUnsafe(16);
    this.digestInto(out);
    return out;
  }

  /** RFC 1321 §3.1–3.2: a 1 bit, zeros to 56 mod 64 octets, the length in bits (64-bit, low word first). */
  #finish(out: Uint8Array, at: number): void {
    const bits = this.#length * 8;
    const p = this.#pending;
    let filled = this.#filled;
    p[filled++] = 0x80;
    if (filled > 56) {
      p.fill(0, filled);
      compress(this.#h, p, 0);
      filled = 0;
    }
    p.fill(0, filled, 56);
    p[56] = bits & 0xff;
    p[57] = (bits >>> 8) & 0xff;
    p[58] = (bits >>> 16) & 0xff;
    p[59] = (bits >>> 24) & 0xff;
    const high = Math.floor(bits / 0x1_0000_0000);
    p[60] = high & 0xff;
    p[61] = (high >>> 8) & 0xff;
    p[62] = (high >>> 16) & 0xff;
    p[63] = (high >>> 24) & 0xff;
    compress(this.#h, p, 0);
    this.#filled = 0;
    const h = this.#h;
    for (let i = 0; i < 4; i++) {
      const w = h[i]!;
      out[at + 4 * i] = w & 0xff;
      out[at + 4 * i + 1] = (w >>> 8) & 0xff;
      out[at + 4 * i + 2] = (w >>> 16) & 0xff;
      out[at + 4 * i + 3] = (w >>> 24) & 0xff;
    }
  }
}

function padsFor(secret: Uint8Array): HmacPads {
  let pads = padsBySecret.get(secret);
  if (pads !== undefined) return pads;
  // RFC 2104 §2: a key longer than the block is replaced by its digest.
  const key = secret.length > 64 ? new Md5().update(secret).digest() : secret;
  const block = new Uint8Array(64);
  const pad = new Md5();
  for (let i = 0; i < 64; i++) block[i] = (key[i] ?? 0) ^ 0x36;
  const inner = pad.start().update(block).state();
  for (let i = 0; i < 64; i++) block[i] = (key[i] ?? 0) ^ 0x5c;
  const outer = pad.start().update(block).state();
  pads = { inner, outer };
  padsBySecret.set(secret, pads);
  return pads;
}

/**
 * The thread's one context. Digests never yield, so a chain such as
 * `md5().update(a).update(b).digest()` always finishes before the next begins; never keep the
 * returned object across another call.
 */
const shared = new Md5();

/** The thread's MD5 context, reset. */
export function md5(): Md5 {
  return shared.start();
}

/** The thread's context started as HMAC-MD5 under `secret`. */
export function hmacMd5(secret: Uint8Array): Md5 {
  return shared.startHmac(secret);
}
