import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonObject, jsonText, type Field } from '../../src/http/mnt/views.js';

// The streamed JSON list writes each session with jsonText; what a client parses must be what the
// object route gave, byte for byte, whatever the values hold.
test('jsonText writes exactly what JSON.stringify of the object writes, for values that need escaping and for those that do not', () => {
  const awkward = ['', 'plain', 'a"quote', 'back\\slash', 'tab\there', 'nl\n', '\u0000\u001f', 'ümlaut', 'line\u2028sep', 'lone\ud800', '😀', '<&>', "'", '/', '\u007f'];
  const cases: Field[][] = [
    [],
    [['a', null], ['b', undefined]],
    [['n', 0], ['f', 1.5], ['neg', -3], ['t', true], ['no', false], ['nan', Number.NaN], ['inf', Number.POSITIVE_INFINITY]],
    awkward.map((v, i) => [`k${i}`, v] as Field),
    [['user_name', 'jsmith'], ['calling_station_id', '00:11:22:33:44:55'], ['nas_ip_address', '10.0.0.1'], ['acct_session_id', undefined], ['server', 'node-1']],
  ];
  for (const fields of cases) {
    const text = jsonText(fields);
    assert.equal(text, JSON.stringify(jsonObject(fields)));
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(jsonObject(fields))));
  }
});
