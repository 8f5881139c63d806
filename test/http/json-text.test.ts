import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeSessionFields, activeSessionJson, jsonObject, xmlFields, type Field } from '../../src/http/mnt/views.js';

// The streamed JSON list writes each session with activeSessionJson, straight from the session; what
// a client parses must be what the fields of an activeSession give through JSON.stringify, byte for
// byte, whatever the values hold, under both prefixes.
test('activeSessionJson writes exactly what JSON.stringify of the activeSession fields writes, for values that need escaping and for those that do not', () => {
  const awkward = ['', 'plain', 'a"quote', 'back\\slash', 'tab\there', 'nl\n', '\u0000\u001f', 'ümlaut', 'line\u2028sep', 'lone\ud800', '😀', '<&>', "'", '/', '\u007f'];
  const base = {
    userName: 'jsmith',
    callingStationId: '00:11:22:33:44:55',
    nasIp: '10.0.0.1',
    acctSessionId: '0000002A',
    auditSessionId: '0A0000010000002A',
    server: 'node-1',
    framedIp: '172.16.0.9',
    framedIpv6: null as string | null,
  };
  const sessions = [
    base,
    { ...base, userName: null, auditSessionId: null, framedIp: null, acctSessionId: '' },
    { ...base, framedIpv6: '2001:db8::9' },
    ...awkward.map((v) => ({ ...base, userName: v, acctSessionId: v, server: v, framedIpv6: v })),
  ];
  let checked = 0;
  for (const prefix of ['/admin/API/mnt/', '/ise/mnt/'] as const) {
    for (const s of sessions) {
      const expected = JSON.stringify(jsonObject(activeSessionFields(s, prefix)));
      assert.equal(activeSessionJson(s, prefix), expected);
      assert.deepEqual(JSON.parse(activeSessionJson(s, prefix)), JSON.parse(expected));
      checked++;
    }
  }
  assert.equal(checked, 2 * sessions.length);
});

// The absences the two writers share, spelled out: a null value is left out, an empty
// Acct-Session-Id (a session opened by an authentication) too, and an absent IPv6 address is written
// empty under today's prefix (a self-closed element in XML) and not at all under the legacy ones.
test('activeSession fields: what is left out, what is written empty, per prefix', () => {
  const s = { userName: null, callingStationId: 'AA:BB:CC:DD:EE:FF', nasIp: '10.0.0.1', acctSessionId: '', auditSessionId: null, server: 'n1', framedIp: null, framedIpv6: null };
  assert.equal(
    xmlFields(activeSessionFields(s, '/admin/API/mnt/'), 0),
    '<calling_station_id>AA:BB:CC:DD:EE:FF</calling_station_id>\n<nas_ip_address>10.0.0.1</nas_ip_address>\n<server>n1</server>\n<framed_ipv6_address/>\n',
  );
  assert.equal(xmlFields(activeSessionFields(s, '/ise/mnt/'), 0), '<calling_station_id>AA:BB:CC:DD:EE:FF</calling_station_id>\n<nas_ip_address>10.0.0.1</nas_ip_address>\n<server>n1</server>\n');
  assert.equal(activeSessionJson(s, '/admin/API/mnt/'), '{"calling_station_id":"AA:BB:CC:DD:EE:FF","nas_ip_address":"10.0.0.1","server":"n1","framed_ipv6_address":""}');
  assert.equal(activeSessionJson(s, '/ise/mnt/'), '{"calling_station_id":"AA:BB:CC:DD:EE:FF","nas_ip_address":"10.0.0.1","server":"n1"}');
  assert.equal(activeSessionJson({ ...s, acctSessionId: '0000002A', framedIpv6: '2001:db8::1' }, '/ise/mnt/'), '{"calling_station_id":"AA:BB:CC:DD:EE:FF","nas_ip_address":"10.0.0.1","acct_session_id":"0000002A","server":"n1"}');
});

// Whole answers (Session/MACAddress and the others) in JSON are written member by member too.
test('fieldsDocument in JSON is what JSON.stringify of the attributes and fields objects writes', async () => {
  const { fieldsDocument, sessionParameterFields } = await import('../../src/http/mnt/views.js');
  const awkward = ['', 'a"quote', 'nl\n', '\u0000', 'ümlaut', 'lone\ud800', '😀'];
  const cases: [Field[], Record<string, string | number>][] = [
    [[], {}],
    [[['a', null], ['b', undefined]], { version: 1 }],
    [[['n', 0], ['t', true], ['no', false], ['nan', Number.NaN], ['s', 'x']], { requestType: 'reauth' }],
    [awkward.map((v, i) => [`k${i}`, v] as Field), {}],
    [[['dup', 'first'], ['other', 1], ['dup', 'last']], {}],
    [[['requestType', 'field'], ['x', 1]], { requestType: 'attribute' }],
  ];
  for (const [fields, attributes] of cases) {
    assert.equal(fieldsDocument('json', 'root', fields, attributes), JSON.stringify({ ...attributes, ...jsonObject(fields) }));
  }
  const session = { id: 1, state: 'started', userName: 'bob"', callingStationId: 'AA:BB:CC:DD:EE:FF', nasIp: '10.0.0.1', acctSessionId: '1', startedAt: 1_700_000_000_000, updatedAt: 1_700_000_000_500, authId: null } as unknown as Parameters<typeof sessionParameterFields>[0];
  const fields = sessionParameterFields(session);
  assert.equal(fieldsDocument('json', 'sessionParameters', fields), JSON.stringify(jsonObject(fields)));
});
