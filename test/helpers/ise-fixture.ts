/**
 * A small HTTPS-less stand-in for a Cisco ISE MnT node, answering with the shapes and quirks of
 * DESIGN.md and ise-3.x-observed-responses.md: XML only (it ignores Accept: application/json),
 * the `activeList` root, upper-case MACs only (a lower-case MAC finds nothing, as on ISE), 500
 * with ISE's body when there is no session, `remoteCoA` answers that only say "sent", no
 * OpenMnT JSON API. It records every request so tests can see what a client sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureSession {
  user: string;
  mac: string;
  nas: string;
  ip: string;
  acctSessionId: string;
  auditSessionId: string;
}

const HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

function noSession(key: string): string {
  return (
    `${HEADER}<mnt-rest-result>\n    <http-code>500</http-code>\n    <cpm-code>34110</cpm-code>\n` +
    `    <description>Server has encountered error while processing the REST request</description>\n    <module-name>MnT</module-name>\n` +
    `    <internal-error-info>Error in generating XML output. Error message = Session data is not available for ${key}.</internal-error-info>\n` +
    `    <requested-operation>Get By Type</requested-operation>\n    <resource-id></resource-id>\n    <resource-name></resource-name>\n` +
    `    <resource-type>RESTSDStatus</resource-type>\n    <status>SERVER_ERROR</status>\n</mnt-rest-result>\n`
  );
}

export class IseFixture {
  readonly requests: { method: string; path: string }[] = [];
  /** What CoA calls answer in `results`. */
  coaResult = true;
  url = '';
  #server: Server;

  constructor(readonly sessions: FixtureSession[], readonly credentials = { user: 'ise-admin', password: 'Ise-Pass-1' }) {
    this.#server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      this.requests.push({ method: req.method ?? 'GET', path });
      const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="ISE"' }).end();
        return;
      }
      const xml = (status: number, body: string): void => {
        res.writeHead(status, { 'Content-Type': 'application/xml;charset=UTF-8', 'Set-Cookie': 'APPSESSIONID=1' }).end(body);
      };
      const p = path.replace(/^\/admin\/API\/mnt\//, '');
      if (p === 'Version') return xml(200, `${HEADER}<product name="Cisco Identity Services Engine">\n    <version>3.2.0.542</version>\n    <type_of_node>1</type_of_node>\n</product>\n`);
      if (p === 'Session/ActiveCount') return xml(200, `${HEADER}<sessionCount>\n    <count>${this.sessions.length}</count>\n</sessionCount>\n`);
      if (p === 'Session/ActiveList') {
        const items = this.sessions
          .map(
            (s) =>
              `    <activeSession>\n        <user_name>${s.user}</user_name>\n        <calling_station_id>${s.mac}</calling_station_id>\n` +
              `        <nas_ip_address>${s.nas}</nas_ip_address>\n        <acct_session_id>${s.acctSessionId}</acct_session_id>\n` +
              `        <audit_session_id>${s.auditSessionId}</audit_session_id>\n        <server>ise-psn-1</server>\n` +
              `        <framed_ip_address>${s.ip}</framed_ip_address>\n        <framed_ipv6_address/>\n    </activeSession>\n`,
          )
          .join('');
        return xml(200, `${HEADER}<activeList noOfActiveSession="${this.sessions.length}">\n${items}</activeList>\n`);
      }
      const byMac = /^Session\/MACAddress\/(.+)$/.exec(p);
      const byUser = /^Session\/UserName\/(.+)$/.exec(p);
      const byIp = /^Session\/EndPointIPAddress\/(.+)$/.exec(p);
      if (byMac || byUser || byIp) {
        const key = (byMac ?? byUser ?? byIp)![1]!;
        // ISE compares MACs as stored (upper case): a lower-case MAC finds nothing.
        const s = this.sessions.find((x) => (byMac ? x.mac === key : byUser ? x.user === key : x.ip === key));
        if (s === undefined) return xml(500, noSession(key));
        return xml(
          200,
          `${HEADER}<sessionParameters>\n    <passed xsi:type="xs:boolean" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">true</passed>\n` +
            `    <user_name>${s.user}</user_name>\n    <nas_ip_address>${s.nas}</nas_ip_address>\n    <calling_station_id>${s.mac}</calling_station_id>\n` +
            `    <acs_server>ise-psn-1</acs_server>\n    <framed_ip_address>${s.ip}</framed_ip_address>\n    <audit_session_id>${s.auditSessionId}</audit_session_id>\n</sessionParameters>\n`,
        );
      }
      const coa = /^CoA\/(Reauth|Disconnect)\/([^/]+)\/([^/]+)\/(\d)/.exec(p);
      if (coa) {
        if (!this.sessions.some((s) => s.mac === coa[3])) return xml(500, noSession(coa[3]!));
        return xml(200, `${HEADER}<remoteCoA requestType="${coa[1]!.toLowerCase()}">\n    <results>${this.coaResult}</results>\n</remoteCoA>\n`);
      }
      res.writeHead(404).end();
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
