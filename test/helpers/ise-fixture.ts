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

/** A failure reason as long as ISE's real ones: the column people run auth-status for. */
export const FAILURE_REASON = '22056 Subject not found in the applicable identity store(s) - check the endpoint is registered';

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
  readonly requests: { method: string; path: string; query: string }[] = [];
  /** What CoA calls answer in `results`. */
  coaResult = true;
  /** Answer with OpenMnT's Server header, so the CLI takes this for an OpenMnT node. */
  openMnt = false;
  /**
   * A long ActiveList: `before` generated sessions are sent, then the answer waits for `release`
   * before sending `after` more and ending, so a test can see what a client did before the end.
   */
  held: { before: number; after: number; release: Promise<void> } | null = null;
  url = '';
  #server: Server;

  constructor(readonly sessions: FixtureSession[], readonly credentials = { user: 'ise-admin', password: 'Ise-Pass-1' }) {
    this.#server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      this.requests.push({ method: req.method ?? 'GET', path, query: (req.url ?? '').split('?')[1] ?? '' });
      const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="ISE"' }).end();
        return;
      }
      const xml = (status: number, body: string): void => {
        res.writeHead(status, { 'Content-Type': 'application/xml;charset=UTF-8', 'Set-Cookie': 'APPSESSIONID=1', ...(this.openMnt ? { Server: 'OpenMnT/0.1.0' } : {}) }).end(body);
      };
      const p = path.replace(/^\/admin\/API\/mnt\//, '');
      if (p === 'Version') return xml(200, `${HEADER}<product name="Cisco Identity Services Engine">\n    <version>3.2.0.542</version>\n    <type_of_node>1</type_of_node>\n</product>\n`);
      if (p === 'Session/ActiveCount') return xml(200, `${HEADER}<sessionCount>\n    <count>${this.sessions.length}</count>\n</sessionCount>\n`);
      if (p === 'Session/ActiveList' && this.held !== null) {
        const held = this.held;
        const item = (i: number) => {
          const hex = i.toString(16).padStart(12, '0').toUpperCase();
          const mac = hex.match(/../g)!.join(':');
          return `    <activeSession>\n        <user_name>user${i}</user_name>\n        <calling_station_id>${mac}</calling_station_id>\n        <nas_ip_address>10.9.0.1</nas_ip_address>\n    </activeSession>\n`;
        };
        res.writeHead(200, { 'Content-Type': 'application/xml;charset=UTF-8' });
        res.write(`${HEADER}<activeList noOfActiveSession="${held.before + held.after}">\n`);
        for (let i = 0; i < held.before; i++) res.write(item(i));
        void held.release.then(() => {
          for (let i = held.before; i < held.before + held.after; i++) res.write(item(i));
          res.end('</activeList>\n');
        });
        return;
      }
      const auth = /^AuthStatus\/MACAddress\/([^/]+)/.exec(p);
      if (auth) {
        const s = this.sessions.find((x) => x.mac === auth[1]);
        if (s === undefined) return xml(500, noSession(auth[1]!));
        return xml(
          200,
          `${HEADER}<authStatusOutputList>\n    <authStatusList key="${s.mac}">\n        <authStatusElements>\n` +
            `            <passed xsi:type="xs:boolean" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">false</passed>\n` +
            `            <failed xsi:type="xs:boolean" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">true</failed>\n` +
            `            <user_name>${s.user}</user_name>\n            <nas_ip_address>${s.nas}</nas_ip_address>\n` +
            `            <failure_reason>${FAILURE_REASON}</failure_reason>\n            <calling_station_id>${s.mac}</calling_station_id>\n` +
            `            <nas_port_id>GigabitEthernet1/0/17</nas_port_id>\n            <identity_group>Workstation</identity_group>\n` +
            `            <network_device_name>access-switch-building-7-floor-2</network_device_name>\n            <acs_server>ise-psn-1</acs_server>\n` +
            `            <authentication_method>dot1x</authentication_method>\n            <authentication_protocol>PEAP (EAP-MSCHAPv2)</authentication_protocol>\n` +
            `            <acs_timestamp>2026-12-02T07:01:02.345+00:00</acs_timestamp>\n            <audit_session_id>${s.auditSessionId}</audit_session_id>\n` +
            `            <selected_azn_profiles>DenyAccess</selected_azn_profiles>\n        </authStatusElements>\n    </authStatusList>\n</authStatusOutputList>\n`,
        );
      }
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
