import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeMac } from '../../src/sessions/index.js';

test('every common MAC spelling becomes AA:BB:CC:DD:EE:FF', () => {
  for (const spelling of ['0a:1b:2c:3d:4e:5f', '0A-1B-2C-3D-4E-5F', '0a1b.2c3d.4e5f', '0A1B2C3D4E5F', ' 0a:1b:2c:3d:4e:5f ']) {
    assert.equal(normalizeMac(spelling), '0A:1B:2C:3D:4E:5F', spelling);
  }
});

test('anything else is not a MAC', () => {
  for (const bad of ['', '0a:1b:2c:3d:4e', '0a:1b-2c:3d:4e:5f', '0a1b2c3d4e5', 'gg:1b:2c:3d:4e:5f', '0a1b.2c3d.4e5', '10.0.0.1', '0a:1b:2c:3d:4e:5f:60']) {
    assert.equal(normalizeMac(bad), null, bad);
  }
});

/** The reading by regular expressions that normalizeMac replaced: the reference it must agree with. */
function byExpressions(input: string): string | null {
  const s = input.trim();
  const separated = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i.exec(s);
  const dotted = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i.exec(s);
  let hex: string;
  if (separated) hex = separated.slice(1).filter((_, i) => i !== 1).join('');
  else if (dotted) hex = dotted.slice(1).join('');
  else if (/^[0-9a-f]{12}$/i.test(s)) hex = s;
  else return null;
  return hex.toUpperCase().match(/../g)!.join(':');
}

test('normalizeMac agrees with the regular-expression reading on spellings near and far from a MAC', () => {
  // Deterministic pseudo-random inputs: the four spellings, then characters swapped for ones that
  // are almost right (other separators, non-hex letters, white space, non-ASCII).
  let seed = 42;
  const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const alphabet = '0123456789abcdefABCDEFgG:-. \t\u00e9\u00a0\u0660';
  const hex = '0123456789abcdefABCDEF';
  const inputs: string[] = [];
  for (let k = 0; k < 20_000; k++) {
    const d = Array.from({ length: 12 }, () => hex[random(hex.length)]!).join('');
    const spellings = [d.match(/../g)!.join(':'), d.match(/../g)!.join('-'), d.match(/..../g)!.join('.'), d, ` ${d.match(/../g)!.join(':')}\t`];
    let s = spellings[random(spellings.length)]!;
    for (let m = random(3); m > 0; m--) {
      const at = random(s.length + 1);
      const c = alphabet[random(alphabet.length)]!;
      s = random(2) === 0 ? s.slice(0, at) + c + s.slice(at + 1) : s.slice(0, at) + c + s.slice(at);
    }
    inputs.push(s);
  }
  for (const input of inputs) assert.equal(normalizeMac(input), byExpressions(input), JSON.stringify(input));
  const canonical = '0A:1B:2C:3D:4E:5F';
  assert.equal(normalizeMac(canonical), canonical);
});
