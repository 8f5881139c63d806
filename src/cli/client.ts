/**
 * The CLI's only way to a node: HTTP(S) to the MnT API of OpenMnT or of a real Cisco ISE. It never
 * touches the server's internals. Answers are parsed with an XML parser (ISE speaks only XML) and
 * turned into plain records; failures become CliError with the exit code scripts can use.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { XMLParser } from 'fast-xml-parser';
import { ActiveListReader } from './xml-stream.js';

import { CliError, EXIT } from './exit.js';

export { CliError, EXIT };

export interface Target {
  /** `https://host[:port]` (or http:// when given so). */
  base: string;
  user: string;
  password: string;
  insecure: boolean;
  timeoutMs: number;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let documentParser: XMLParser | null = null;

/** Small answers (a session, a count) are parsed whole; loaded on first use, so a list alone never loads it. */
async function parseDocument(xml: string): Promise<Record<string, unknown>> {
  if (documentParser === null) {
    const { XMLParser } = await import('fast-xml-parser');
    documentParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, textNodeName: '#text' });
  }
  return documentParser.parse(xml) as Record<string, unknown>;
}

/** One element of an answer (a session, a record, the version) as field name → text, XML or JSON alike. */
export type AnswerFields = Record<string, string>;

/** Flattens an element to name → text (booleans with xsi:type keep their text). */
function flatten(node: unknown): AnswerFields {
  const out: AnswerFields = {};
  if (typeof node !== 'object' || node === null) return out;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key.startsWith('@')) continue;
    if (typeof value === 'object' && value !== null && '#text' in value) out[key] = String((value as Record<string, unknown>)['#text']);
    else if (typeof value !== 'object') out[key] = String(value);
    else if (value !== null && Object.keys(value).length === 0) out[key] = '';
  }
  return out;
}

function list(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export class MntClient {
  readonly target: Target;
  readonly prefix = '/admin/API/mnt/';

  constructor(target: Target) {
    this.target = target;
  }

  /** One request whose answer is read as it arrives; 401/403 become exit code 3, connection problems exit code 1. */
  async open(method: string, path: string, accept = 'application/xml', body?: string): Promise<IncomingMessage> {
    const url = new URL(path, this.target.base);
    const secure = url.protocol === 'https:';
    const send = secure ? (await import('node:https')).request : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers: {
            accept,
            authorization: `Basic ${Buffer.from(`${this.target.user}:${this.target.password}`).toString('base64')}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
          timeout: this.target.timeoutMs,
          ...(secure ? { rejectUnauthorized: !this.target.insecure } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status === 401 || status === 403) {
            res.resume();
            return reject(new CliError(EXIT.auth, status === 401 ? `${url.host}: the user name or password was refused (401)` : `${url.host}: this account may not do that (403)`));
          }
          resolve(res);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.target.timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        const hint = /self[- ]signed|certificate/i.test(error.message) ? ' (a self-signed certificate? use --insecure)' : '';
        reject(new CliError(EXIT.failed, `${url.host}: ${error.message}${hint}`));
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** One request, its whole answer read (small answers only: lists go through sessions()). */
  async request(method: string, path: string, accept = 'application/xml', body?: string): Promise<Answer> {
    const res = await this.open(method, path, accept, body);
    let text = '';
    res.setEncoding('utf8');
    try {
      for await (const chunk of res) text += chunk as string;
    } catch (error) {
      throw new CliError(EXIT.failed, `${new URL(path, this.target.base).host}: ${(error as Error).message}`);
    }
    return { status: res.statusCode ?? 0, headers: res.headers, body: text };
  }

  /** What a failed MnT call means for the exit code: ISE's "no session" (500 with that text) and 404 exit with 4. */
  async #failure(status: number, body: string): Promise<CliError> {
    const parsed = body.trim().startsWith('<') ? await parseDocument(body).catch(() => ({}) as Record<string, unknown>) : {};
    const result = flatten(parsed['mnt-rest-result']);
    const info = result['internal-error-info'] || result.description || body.slice(0, 200);
    if (status === 404 || /not available/i.test(info)) return new CliError(EXIT.notFound, info.replace(/^Error in generating XML output\. Error message = /, ''));
    return new CliError(status === 400 ? EXIT.usage : EXIT.failed, `${status}: ${info}`);
  }

  /** An MnT call answered in XML; ISE's "no session" (500 with that text) and 404 exit with 4. */
  async call(path: string, method = 'GET'): Promise<Record<string, unknown>> {
    const answer = await this.request(method, `${this.prefix}${path}`);
    if (answer.status >= 400) throw await this.#failure(answer.status, answer.body);
    return answer.body.trim().startsWith('<') ? await parseDocument(answer.body) : {};
  }

  /** True when the node is OpenMnT (its own JSON API is then available). */
  async isOpenMnt(): Promise<boolean> {
    const answer = await this.request('GET', `${this.prefix}Version`);
    return String(answer.headers.server ?? '').startsWith('OpenMnT/');
  }

  async version(): Promise<AnswerFields> {
    const doc = await this.call('Version');
    const product = doc.product as Record<string, unknown>;
    return { product: String(product['@name'] ?? ''), ...flatten(product) };
  }

  async count(): Promise<number> {
    const doc = await this.call('Session/ActiveCount');
    return Number(flatten(doc.sessionCount).count);
  }

  /**
   * ActiveList, a batch of sessions at a time as the answer arrives (ISE answers `activeList` today
   * and `activeSessionList` on old releases). `query` is OpenMnT's: `nas`, `user`, `mac`, `page`,
   * `size` narrow the list on the server; ISE ignores a query string.
   */
  async *sessions(query?: URLSearchParams): AsyncGenerator<AnswerFields[]> {
    const q = query === undefined || [...query.keys()].length === 0 ? '' : `?${query.toString()}`;
    const res = await this.open('GET', `${this.prefix}Session/ActiveList${q}`);
    res.setEncoding('utf8');
    if ((res.statusCode ?? 0) >= 400) {
      let body = '';
      for await (const chunk of res) body += chunk as string;
      throw await this.#failure(res.statusCode ?? 0, body);
    }
    const reader = new ActiveListReader();
    const host = new URL(this.target.base).host;
    try {
      // Each chunk is parsed and its sessions handed on before the next is read: the consumer's
      // pace (a slow pipe) holds the socket back instead of filling memory.
      for await (const chunk of res) {
        const rows = reader.write(chunk as string);
        if (rows.length > 0) yield rows;
      }
      const rest = reader.close();
      if (rest.length > 0) yield rest;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(EXIT.failed, `${host}: ActiveList: ${(error as Error).message}`);
    } finally {
      res.destroy();
    }
  }

  async session(kind: 'MACAddress' | 'UserName' | 'IPAddress' | 'EndPointIPAddress', value: string): Promise<AnswerFields> {
    const doc = await this.call(`Session/${kind}/${encodeURIComponent(value)}`);
    return flatten(doc.sessionParameters);
  }

  async sessionById(auditSessionId: string): Promise<AnswerFields> {
    const doc = await this.call(`Session/Active/SessionID/${encodeURIComponent(auditSessionId)}/0`);
    const root = (doc.activeSessionList ?? {}) as Record<string, unknown>;
    return flatten(list(root.activeSession)[0]);
  }

  async authStatus(mac: string, seconds: number, records: number): Promise<AnswerFields[]> {
    const doc = await this.call(`AuthStatus/MACAddress/${mac}/${seconds}/${records}/All`);
    const outer = (doc.authStatusOutputList ?? {}) as Record<string, unknown>;
    return list(outer.authStatusList).flatMap((l) => list((l as Record<string, unknown>).authStatusElements).map(flatten));
  }

  async acctStatus(mac: string, seconds: number): Promise<AnswerFields[]> {
    const doc = await this.call(`AcctStatus/MACAddress/${mac}/${seconds}`);
    const outer = (doc.acctStatusOutputList ?? {}) as Record<string, unknown>;
    return list(outer.acctStatusList).flatMap((l) => list((l as Record<string, unknown>).acctStatusElements).map(flatten));
  }

  async failureReasons(): Promise<AnswerFields[]> {
    const doc = await this.call('FailureReasons');
    const root = (doc.failureReasonList ?? {}) as Record<string, unknown>;
    return list(root.failureReason).map((r) => ({ id: String((r as Record<string, unknown>)['@id'] ?? ''), ...flatten(r) }));
  }

  /** Session/Delete/…: what ISE calls removing stale sessions (OpenMnT keeps their history). */
  async deleteSessions(what: { all: true } | { mac: string } | { sessionId: string }): Promise<AnswerFields> {
    const path = 'all' in what ? 'Session/Delete/All' : 'mac' in what ? `Session/Delete/MACAddress/${what.mac}` : `Session/Delete/SessionID/${encodeURIComponent(what.sessionId)}`;
    const doc = await this.call(path, 'DELETE');
    return flatten(doc['mnt-rest-result']);
  }

  /** OpenMnT's CoA audit log (its own JSON API; ISE has none). */
  async audit(query: URLSearchParams): Promise<AnswerFields[]> {
    const answer = await this.request('GET', `/api/v1/coa/audit?${query.toString()}`, 'application/json');
    if (answer.status === 404) throw new CliError(EXIT.notFound, 'this node has no CoA audit API (a Cisco ISE node?)');
    const json = JSON.parse(answer.body) as { records?: Record<string, unknown>[]; message?: string };
    if (answer.status >= 400) throw new CliError(answer.status === 400 ? EXIT.usage : EXIT.failed, json.message ?? `HTTP ${answer.status}`);
    return (json.records ?? []).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null).map(([k, v]) => [k, String(v)])));
  }

  /** OpenMnT's bulk jobs: start (or dry-run) and read progress. */
  async job(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const answer = await this.request('POST', '/api/v1/coa/jobs', 'application/json', JSON.stringify(body));
    const json = JSON.parse(answer.body) as Record<string, unknown>;
    if (answer.status >= 400) throw new CliError(answer.status === 400 ? EXIT.usage : EXIT.failed, String(json.message ?? `HTTP ${answer.status}`));
    return json;
  }

  async jobStatus(id: string): Promise<Record<string, unknown>> {
    const answer = await this.request('GET', `/api/v1/coa/jobs/${encodeURIComponent(id)}`, 'application/json');
    if (answer.status >= 400) throw new CliError(EXIT.failed, `job ${id}: HTTP ${answer.status}`);
    return JSON.parse(answer.body) as Record<string, unknown>;
  }

  /** A job's per-endpoint results after the cursor `after` (0: from the first), one page. */
  async jobResults(id: string, after: number, limit = 1000): Promise<{ results: Record<string, unknown>[]; next: number | null }> {
    const answer = await this.request('GET', `/api/v1/coa/jobs/${encodeURIComponent(id)}/results?after=${after}&limit=${limit}`, 'application/json');
    if (answer.status >= 400) throw new CliError(EXIT.failed, `job ${id} results: HTTP ${answer.status}`);
    return JSON.parse(answer.body) as { results: Record<string, unknown>[]; next: number | null };
  }

  /** CoA: `true` only when the NAS acknowledged (OpenMnT) or ISE reported success. */
  async coa(action: 'Reauth' | 'Disconnect', mac: string, type: number, nasIp: string | null, verifySeconds: number | null = null): Promise<{ results: boolean; detail: Record<string, unknown> | null }> {
    const path = `CoA/${action}/openmnt-cli/${mac}/${type}${nasIp === null ? '' : `/${nasIp}`}`;
    if (await this.isOpenMnt()) {
      const answer = await this.request('PUT', `${this.prefix}${path}${verifySeconds === null ? '' : `?verify=${verifySeconds}`}`, 'application/json');
      const json = JSON.parse(answer.body) as Record<string, unknown>;
      if (answer.status >= 400) {
        const info = String(json['internal-error-info'] ?? json.message ?? answer.status);
        throw new CliError(/not available/i.test(info) ? EXIT.notFound : EXIT.failed, info.replace(/^Error in generating XML output\. Error message = /, ''));
      }
      return { results: json.results === true, detail: json };
    }
    const doc = await this.call(path, 'PUT');
    const remote = flatten(doc.remoteCoA);
    return { results: remote.results === 'true', detail: null };
  }
}
