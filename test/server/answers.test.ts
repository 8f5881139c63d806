/** What an Accounting-Response carries back once the record is committed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, decodePacket, encodePacket } from '../../src/radius/index.js';
import { SECRET, serverWithClient } from '../helpers/server.js';

const fixture = serverWithClient();

test('an Accounting-Response, sent after the commit, echoes the Proxy-State attributes in order', async () => {
  const { server, client } = fixture;
  const request = encodePacket(
    {
      code: Code.AccountingRequest,
      identifier: 7,
      attributes: [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Proxy-State', value: Buffer.from('hop-1') },
        { name: 'Acct-Session-Id', value: 'answers-1' },
        { name: 'Calling-Station-Id', value: '0C:00:00:00:00:01' },
        { name: 'Proxy-State', value: Buffer.from('hop-2') },
      ],
    },
    { secret: SECRET },
  );
  const reply = await client.request(request, server.ports.accounting, 2000, SECRET);
  assert.ok(reply, 'answered, with a Response Authenticator over this request');
  const answer = decodePacket(reply);
  assert.equal(answer.code, Code.AccountingResponse);
  assert.deepEqual(
    answer.attributes.map((a) => [a.name, (a.value as Buffer).toString()]),
    [
      ['Proxy-State', 'hop-1'],
      ['Proxy-State', 'hop-2'],
    ],
  );
  assert.equal((await server.store.accountingRecordsByMac({ mac: '0C:00:00:00:00:01', since: 0, limit: 5 })).length, 1, 'committed before the answer');
});
