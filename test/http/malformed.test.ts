/**
 * Malformed requests, written byte for byte on a socket: each gets its precise 4xx, and the node
 * keeps answering afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ADMINS, addAdmins, basic, raw } from '../helpers/mnt.js';

const AUTH = () => `Authorization: ${basic(ADMINS['super-admin'])}`;
const M = '/admin/API/mnt';
const MAC = '00:11:22:33:44:55';

/** [what, method, target, expected status, extra header lines, body] */
const CASES: [string, string, string, number, string[]?, string?][] = [
  ['MAC with letters outside hex', 'GET', `${M}/Session/MACAddress/GG:11:22:33:44:55`, 400],
  ['MAC too short', 'GET', `${M}/Session/MACAddress/00:11:22:33:44`, 400],
  ['MAC too long', 'GET', `${M}/Session/MACAddress/00:11:22:33:44:55:66`, 400],
  ['MAC with mixed separators', 'GET', `${M}/Session/MACAddress/00-11:22-33-44-55`, 400],
  ['MAC as a word', 'GET', `${M}/Session/MACAddress/printer`, 400],
  ['MAC with a malformed percent-escape', 'GET', `${M}/Session/MACAddress/%ZZ`, 400],
  ['MAC segment missing', 'GET', `${M}/Session/MACAddress/`, 404],
  ['NAS IP with an octet over 255', 'GET', `${M}/Session/IPAddress/300.1.1.1`, 400],
  ['NAS IP with three octets', 'GET', `${M}/Session/IPAddress/10.1.1`, 400],
  ['endpoint IP as a word', 'GET', `${M}/Session/EndPointIPAddress/abc`, 400],
  ['endpoint IP with five octets', 'GET', `${M}/Session/EndPointIPAddress/1.2.3.4.5`, 400],
  ['endpoint IPv6 malformed', 'GET', `${M}/Session/EndPointIPAddress/2001:db8:::1`, 400],
  ['AuthStatus seconds over 864000', 'GET', `${M}/AuthStatus/MACAddress/${MAC}/864001/10/All`, 400],
  ['AuthStatus negative seconds', 'GET', `${M}/AuthStatus/MACAddress/${MAC}/-1/10/All`, 400],
  ['AuthStatus records over 500', 'GET', `${M}/AuthStatus/MACAddress/${MAC}/100/501/All`, 400],
  ['AuthStatus records not a number', 'GET', `${M}/AuthStatus/MACAddress/${MAC}/100/abc/All`, 400],
  ['AuthStatus seconds in exponent form', 'GET', `${M}/AuthStatus/MACAddress/${MAC}/1e3/10/All`, 400],
  ['AuthStatus unknown attribute', 'GET', `${M}/AuthStatus/MACAddress/${MAC}/100/10/bogus_field`, 400],
  ['AuthStatus with half a window', 'GET', `${M}/AuthStatus/MACAddress/${MAC}/100`, 404],
  ['AcctStatus seconds over 432000', 'GET', `${M}/AcctStatus/MACAddress/${MAC}/432001`, 400],
  ['AcctStatus seconds huge', 'GET', `${M}/AcctStatus/MACAddress/${MAC}/99999999999`, 400],
  ['AuthList month 13', 'GET', `${M}/Session/AuthList/2026-13-01%2000:00:00/null`, 400],
  ['AuthList 30 February', 'GET', `${M}/Session/AuthList/2026-02-30%2000:00:00/null`, 400],
  ['AuthList time as a word', 'GET', `${M}/Session/AuthList/yesterday/null`, 400],
  ['AuthList end before start', 'GET', `${M}/Session/AuthList/2026-01-02%2000:00:00/2026-01-01%2000:00:00`, 400],
  ['AuthList with one bound only', 'GET', `${M}/Session/AuthList/null`, 404],
  ['CoA without a MAC', 'GET', `${M}/CoA/Reauth/ise/printer/1`, 400],
  ['CoA Reauth type 7', 'GET', `${M}/CoA/Reauth/ise/${MAC}/7`, 400],
  ['CoA Disconnect port option 3', 'GET', `${M}/CoA/Disconnect/ise/${MAC}/3`, 400],
  ['Session id output type 5', 'GET', `${M}/Session/Active/SessionID/0A01/5`, 400],
  ['user name with invalid UTF-8', 'GET', `${M}/Session/UserName/%C0%AF`, 400],
  ['call name in lower case', 'GET', `${M}/Session/activelist`, 404],
  ['prefix in lower case', 'GET', '/admin/api/mnt/Session/ActiveList', 404],
  ['unknown call', 'GET', `${M}/Nope`, 404],
  ['extra segment', 'GET', `${M}/Session/ActiveCount/extra`, 404],
  ['Version with a segment', 'GET', `${M}/Version/3`, 404],
  ['POST to a query', 'POST', `${M}/Session/ActiveCount`, 405],
  ['DELETE to a query', 'DELETE', `${M}/Session/ActiveCount`, 405],
  ['PATCH to a query', 'PATCH', `${M}/Version`, 405],
  ['page 0', 'GET', `${M}/Session/ActiveList?page=0`, 400],
  ['size not a number', 'GET', `${M}/Session/ActiveList?size=abc`, 400],
  ['size over the limit', 'GET', `${M}/Session/ActiveList?size=1000000`, 400],
  ['URL over 8 KiB', 'GET', `${M}/Session/UserName/${'a'.repeat(9000)}`, 414],
  ['header over 16 KiB', 'GET', `${M}/Version`, 431, [`X-Filler: ${'b'.repeat(20000)}`]],
  ['Accept nothing we write', 'GET', `${M}/Version`, 406, ['Accept: image/png']],
  ['body over 64 KiB', 'PUT', `${M}/Version`, 413, ['Content-Length: 100000']],
];

/** Requests that fail before credentials are looked at, or because of them. */
const AUTH_CASES: [string, string[], number][] = [
  ['no Authorization header', [], 401],
  ['Basic with a non-base64 value', ['Authorization: Basic !!!!'], 401],
  ['Bearer instead of Basic', ['Authorization: Bearer abc.def'], 401],
  ['Basic without a colon', [`Authorization: Basic ${Buffer.from('nocolon').toString('base64')}`], 401],
  ['Basic with an empty user name', [`Authorization: Basic ${Buffer.from(':pw').toString('base64')}`], 401],
  ['unknown admin', [`Authorization: ${basic('nobody')}`], 401],
];

describe('malformed requests', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await addAdmins(server);
  });
  after(async () => server.stop());

  test(`the table holds at least 40 cases (${CASES.length + AUTH_CASES.length})`, () => {
    assert.ok(CASES.length + AUTH_CASES.length >= 40);
  });

  for (const [what, method, target, status, headers = [], body = ''] of CASES) {
    test(`${what} → ${status}`, async () => {
      const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', AUTH(), ...headers].join('\r\n');
      const answer = await raw(server.api.port, head, body);
      assert.equal(answer.status, status, answer.text.slice(0, 600));
      if (status !== 431) {
        assert.match(answer.text, /<mnt-rest-result>/);
        assert.match(answer.text, new RegExp(`<http-code>${status}</http-code>`));
      }
    });
  }

  for (const [what, headers, status] of AUTH_CASES) {
    test(`${what} → ${status}`, async () => {
      const answer = await raw(server.api.port, [`GET ${M}/Version HTTP/1.1`, 'Host: 127.0.0.1', ...headers].join('\r\n'));
      assert.equal(answer.status, status, answer.text.slice(0, 400));
      assert.match(answer.text, /WWW-Authenticate: Basic realm=/i);
    });
  }

  test('the 400 says which segment is wrong and what is accepted', async () => {
    const answer = await raw(server.api.port, [`GET ${M}/AuthStatus/MACAddress/${MAC}/100/501/All HTTP/1.1`, 'Host: x', AUTH()].join('\r\n'));
    assert.match(answer.text, /AuthStatus records &apos;501&apos; is not valid: a whole number from 0 to 500/);
  });

  test('a request line that is not HTTP gets 400 and the node still answers', async () => {
    const garbage = await raw(server.api.port, '\u0001\u0002 garbage\r\n\r\n');
    assert.equal(garbage.status, 400);
    const health = await fetch(`http://127.0.0.1:${server.api.port}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  });
});
