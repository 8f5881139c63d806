/**
 * FreeRADIUS-format dictionaries: the parser on small texts (each construct, each mistake with its
 * file and line), then Debian's whole set registered beside the built-in tables (vendor attributes
 * read by name, built-in ones unchanged, unknown ones kept raw), then a node configured with them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOpenMntError } from '../../src/errors.js';
import { attributeByName, decodePacket, encodePacket, loadDictionaryFiles, parseDictionary, registerDictionary } from '../../src/radius/index.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

const DEBIAN = '/usr/share/freeradius/dictionary';
const noInclude = () => null;

describe('the dictionary file parser', () => {
  test('vendors, vendor blocks, flags, named values, includes and the old vendor field', () => {
    const defs = parseDictionary(
      [
        'VENDOR Acme 64000',
        'BEGIN-VENDOR Acme',
        'ATTRIBUTE Acme-Role 1 string',
        'ATTRIBUTE Acme-Level 2 integer',
        'ATTRIBUTE Acme-Tunnel-Pass 3 string has_tag,encrypt=2',
        'ATTRIBUTE Acme-Short 4 short',
        'ATTRIBUTE Acme-Nested 5 tlv',
        'END-VENDOR Acme',
        'VALUE Acme-Level Gold 3',
        'VALUE Acme-Level Silver 2',
        'ATTRIBUTE Acme-Old 9 ipaddr Acme',
        '$INCLUDE extra',
        '# a comment',
        'ATTRIBUTE Site-Code 222 string',
      ].join('\n'),
      'main',
      (name) => (name === 'extra' ? { text: 'ATTRIBUTE Site-Secret 223 string encrypt=1', file: 'extra' } : null),
    );
    const byName = new Map(defs.attributes.map((a) => [a.spec[1], a]));
    assert.deepEqual(defs.vendors, [{ id: 64000, name: 'Acme' }]);
    assert.deepEqual(byName.get('Acme-Role'), { vendorId: 64000, spec: [1, 'Acme-Role', 'text', undefined] });
    assert.deepEqual(byName.get('Acme-Level')!.spec[3], { values: { Gold: 3, Silver: 2 } });
    // Salted hiding stays octets as on the wire; the tag is known.
    assert.deepEqual(byName.get('Acme-Tunnel-Pass')!.spec.slice(2), ['octets', { tagged: true }]);
    assert.equal(byName.get('Acme-Short')!.spec[2], 'octets');
    assert.equal(byName.has('Acme-Nested'), false);
    assert.equal(byName.get('Acme-Old')!.vendorId, 64000);
    assert.deepEqual(byName.get('Site-Secret')!.spec.slice(2), ['text', { hidden: true }]);
    assert.equal(byName.get('Site-Code')!.vendorId, undefined);
  });

  test('mistakes name the file and line', () => {
    const cases: [string, RegExp][] = [
      ['ATTRIBUTE Foo', /main:1: ATTRIBUTE needs a name, a number and a type/],
      ['ATTRIBUTE Foo 1 float', /main:1: unknown type float/],
      ['\nBEGIN-VENDOR Nobody', /main:2: BEGIN-VENDOR names an unknown vendor Nobody/],
      ['VALUE Foo Bar', /main:1: VALUE needs an attribute, a name and a number/],
      ['$INCLUDE missing', /main:1: cannot read the included file missing/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseDictionary(text, 'main', noInclude), (e: unknown) => isOpenMntError(e) && e.code === 'CONFIG_INVALID' && message.test(e.message), text);
    }
  });
});

describe("Debian's dictionaries beside the built-in tables", { skip: existsSync(DEBIAN) ? false : `${DEBIAN} is absent (freeradius-common)` }, () => {
  test('vendor attributes by name; built-in definitions unchanged; unknown vendors raw', () => {
    const cisco = attributeByName('Cisco-AVPair');
    const tunnel = attributeByName('Tunnel-Private-Group-Id');
    const result = registerDictionary(loadDictionaryFiles([DEBIAN]));
    assert.ok(result.vendors > 100 && result.attributes > 1000, JSON.stringify(result));
    assert.ok(result.kept > 0, 'what the built-in tables have is kept');
    assert.equal(attributeByName('Cisco-AVPair'), cisco);
    assert.equal(attributeByName('Tunnel-Private-Group-Id'), tunnel);
    const wire = encodePacket(
      {
        code: 4,
        identifier: 1,
        attributes: [
          { name: 'HP-Port-Bounce-Host', value: 12 },
          { name: 'Juniper-AV-Pair', value: 'Port-Bounce' },
          { name: 'Huawei-Input-Burst-Size', value: 9000 },
          { vendorId: 4_000_000, vendorType: 7, value: Buffer.from([1, 2]) },
        ],
      },
      { secret: 'x' },
    );
    const read = decodePacket(wire).attributes.map((a) => [a.name, a.value]);
    assert.deepEqual(read, [
      ['HP-Port-Bounce-Host', 12],
      ['Juniper-AV-Pair', 'Port-Bounce'],
      ['Huawei-Input-Burst-Size', 9000],
      ['Vendor-4000000-Attr-7', Buffer.from([1, 2])],
    ]);
  });
});

describe('a node with radius.dictionaries', { skip: needTool('radclient', 'freeradius-utils') || (existsSync(DEBIAN) ? false : `${DEBIAN} is absent`) }, () => {
  test('an accounting record shows a vendor attribute by its dictionary name; a missing file stops the start', async () => {
    const server = await startTestServer((c) => {
      c.radius.dictionaries = [DEBIAN];
    });
    try {
      const r = await radclient({
        port: server.ports.accounting,
        secret: SECRET,
        kind: 'acct',
        packets: ['Acct-Status-Type = Start, Acct-Session-Id = "dict-1", Calling-Station-Id = "00-11-22-33-44-66", NAS-IP-Address = 127.0.0.1, HP-Port-Bounce-Host = 12'],
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const [record] = await server.store.accountingRecordsByMac({ mac: '00:11:22:33:44:66', since: 0, limit: 5 });
      assert.match(JSON.stringify(record?.attributes ?? ''), /HP-Port-Bounce-Host/);
    } finally {
      await server.stop();
    }
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-dict-'));
    try {
      writeFileSync(join(dir, 'dictionary'), 'ATTRIBUTE Broken\n');
      await assert.rejects(
        startTestServer((c) => {
          c.radius.dictionaries = [join(dir, 'dictionary')];
        }),
        /dictionary .*dictionary:1: ATTRIBUTE needs a name, a number and a type/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
