/** The project's MD5 and HMAC-MD5 against node:crypto (OpenSSL), and RFC 1321's own test suite. */
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Md5, hmacMd5, md5 } from '../../src/radius/md5.js';

// Lengths around every block edge: 55/56 decide whether the length fits the last block.
const LENGTHS = [0, 1, 3, 15, 16, 17, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200, 1000, 4096];

test('RFC 1321 appendix A.5 test suite', () => {
  const suite: Array<[string, string]> = [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ];
  for (const [text, hex] of suite) assert.equal(md5().update(Buffer.from(text)).digest().toString('hex'), hex, JSON.stringify(text));
});

test('MD5 equals OpenSSL for every length around the block edges, fed whole or in ranges at any split', () => {
  for (const length of LENGTHS) {
    for (let round = 0; round < 8; round++) {
      const data = randomBytes(length);
      const expected = createHash('md5').update(data).digest();
      assert.deepEqual(md5().update(data).digest(), expected, `whole, ${length} octets`);
      const a = Math.floor(Math.random() * (length + 1));
      const b = a + Math.floor(Math.random() * (length - a + 1));
      assert.deepEqual(md5().update(data, 0, a).update(data, a, b).update(data, b).digest(), expected, `split at ${a}/${b} of ${length}`);
      // One octet at a time: every path through the partial block.
      const bytewise = md5();
      for (let i = 0; i < length && length <= 200; i++) bytewise.update(data, i, i + 1);
      if (length <= 200) assert.deepEqual(bytewise.digest(), expected, `octet by octet, ${length} octets`);
    }
  }
});

test('HMAC-MD5 equals OpenSSL for short, block-sized and long secrets (RFC 2104: a long key is hashed first)', () => {
  for (const secretLength of [1, 10, 16, 63, 64, 65, 100, 200]) {
    for (const length of LENGTHS) {
      const secret = randomBytes(secretLength);
      const data = randomBytes(length);
      const expected = createHmac('md5', secret).update(data).digest();
      assert.deepEqual(hmacMd5(secret).update(data).digest(), expected, `secret ${secretLength}, data ${length}`);
      // Again with the pads from the per-secret cache, in two ranges.
      const half = length >> 1;
      assert.deepEqual(hmacMd5(secret).update(data, 0, half).update(data, half).digest(), expected, `cached pads, secret ${secretLength}, data ${length}`);
    }
  }
});

test('RFC 2202 HMAC-MD5 test case 2, and a plain MD5 right after an HMAC on the same context', () => {
  assert.equal(hmacMd5(Buffer.from('Jefe')).update(Buffer.from('what do ya want for nothing?')).digest().toString('hex'), '750c783e6ab0b503eaa86e310a5db738');
  // The shared context must drop the HMAC's outer state when restarted as plain MD5.
  assert.equal(md5().update(Buffer.from('abc')).digest().toString('hex'), '900150983cd24fb0d6963f7d28e17f72');
});

test('digestInto writes in place, also over the octets it was fed (a packet signed in its own field)', () => {
  const secret = Buffer.from('testing123');
  const packet = randomBytes(100);
  packet.fill(0, 84);
  const expected = createHmac('md5', secret).update(packet).digest();
  hmacMd5(secret).update(packet).digestInto(packet, 84);
  assert.deepEqual(packet.subarray(84), expected);
  const other = new Md5().update(packet).digest();
  assert.deepEqual(other, createHash('md5').update(packet).digest());
});

test('the state of a partial block is refused (only whole-block states can seed an HMAC pad)', () => {
  assert.throws(() => new Md5().update(Buffer.alloc(10)).state(), RangeError);
});
