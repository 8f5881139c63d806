/**
 * Client commands of `openmnt`: they speak only HTTP to an MnT node (OpenMnT or a real Cisco ISE).
 * Their options are declared in program.ts (the command table); this file does what each asks.
 */
import { isIP } from 'node:net';
import { normalizeMac } from '../sessions/mac.js';
import { CliError, EXIT, MntClient, type Target } from './client.js';
import { FORMATS, render, RowWriter, type Format } from './output.js';

/** The parsed options of one client command, by their long names (`session-id`, `dry-run`, …). */
export interface Values {
  host?: string;
  profile?: string;
  'user-name'?: string;
  'password-stdin'?: boolean;
  insecure?: boolean;
  timeout?: string;
  format?: string;
  nas?: string;
  user?: string;
  mac?: string;
  ip?: string;
  'endpoint-ip'?: string;
  'session-id'?: string;
  page?: string;
  size?: string;
  action?: string;
  type?: string;
  seconds?: string;
  policy?: string;
  file?: string;
  stdin?: boolean;
  rate?: string;
  concurrency?: string;
  'dry-run'?: boolean;
  verify?: boolean;
  'verify-timeout'?: string;
  records?: string;
  all?: boolean;
  outcome?: string;
  since?: string;
  limit?: string;
  yes?: boolean;
  /** `openmnt session C8:5B:76:C6:59:62`: the cookbook's bare MAC. */
  key?: string;
}

/** Terminal width for tables: the terminal's, else $COLUMNS, else 120. */
function outputWidth(env: NodeJS.ProcessEnv): number {
  const columns = process.stdout.columns ?? Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 120;
}

function number(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) usage(`${flag} ${value}: a whole number from ${min} to ${max}`);
  return n;
}

function usage(message: string): never {
  throw new CliError(EXIT.usage, message);
}

async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

interface Profile {
  host?: string;
  user?: string;
  password?: string;
  insecure?: boolean;
  timeout?: number;
}

async function profile(name: string, env: NodeJS.ProcessEnv): Promise<Profile> {
  const { readFile, stat } = await import('node:fs/promises');
  const { homedir } = await import('node:os');
  const { parse } = await import('yaml');
  const file = env.OPENMNT_PROFILES ?? `${homedir()}/.config/openmnt/profiles.yaml`;
  const text = await readFile(file, 'utf8').catch((e: Error) => usage(`--profile ${name}: cannot read ${file}: ${e.message}`));
  let all: unknown;
  try {
    all = parse(text);
  } catch (error) {
    return usage(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const entry = (all as Record<string, unknown> | null)?.[name];
  if (typeof entry !== 'object' || entry === null) usage(`${file} has no profile named ${name}`);
  const p = entry as Profile;
  // A password at rest is only acceptable in a file no one else can read.
  if (p.password !== undefined && ((await stat(file)).mode & 0o077) !== 0) usage(`${file} holds a password but others can read it: chmod 600 ${file}`);
  return p;
}

export async function target(v: Values, env: NodeJS.ProcessEnv): Promise<Target> {
  const p: Profile = v.profile === undefined ? {} : await profile(v.profile, env);
  const host = v.host ?? p.host ?? env.ISE_MNT_IP ?? env.ISE_PAN_FQDN;
  if (!host) usage('no MnT node: give --host or --profile, or set ISE_MNT_IP / ISE_PAN_FQDN');
  const user = v['user-name'] ?? p.user ?? env.ISE_API_USER;
  if (!user) usage('no API user: give --user-name or --profile, or set ISE_API_USER');
  const password = v['password-stdin'] ? await readStdinLine() : (p.password ?? env.ISE_API_PASS);
  if (password === undefined || password === '') usage('no password: set ISE_API_PASS or use --password-stdin');
  const timeout = v.timeout === undefined ? (p.timeout ?? 30) : Number(v.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) usage(`--timeout ${v.timeout} is not a number of seconds`);
  return { base: /^https?:\/\//.test(host) ? host : `https://${host}`, user, password, insecure: v.insecure === true || p.insecure === true, timeoutMs: timeout * 1000 };
}

function mac(value: string, flag = '--mac'): string {
  return normalizeMac(value) ?? usage(`${flag} ${value} is not a MAC address (AA:BB:CC:DD:EE:FF, aa-bb-…, aabb.ccdd.eeff or bare hex)`);
}

function ip(value: string, flag: string): string {
  if (isIP(value) === 0) usage(`${flag} ${value} is not an IP address`);
  return value;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) usage(`${question}: refusing without --yes when no one can answer (not a terminal)`);
  process.stderr.write(`${question} [y/N] `);
  const answer = await readStdinLine();
  return /^y(es)?$/i.test(answer.trim());
}

export async function runClientCommand(command: string, v: Values, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const bulk = command === 'coa bulk';
  try {
    const format = (v.format ?? 'table') as Format;
    if (!FORMATS.includes(format)) usage(`--format ${v.format}: use ${FORMATS.join(', ')}`);
    const client = new MntClient(await target(v, env));
    const width = outputWidth(env);
    // `essential`: the columns a table keeps at any width, the last of them wrapped rather than cut.
    const print = (rows: Record<string, string>[], columns: string[] = [], root?: string, essential: string[] = []) =>
      process.stdout.write(render(rows, format, { columns, essential, wrap: essential.length > 0, width, ...(root === undefined ? {} : { root }) }));
    switch (bulk ? 'coa' : command) {
      case 'version':
        print([await client.version()], ['product', 'version', 'type_of_node'], 'product');
        return EXIT.ok;
      case 'count': {
        const count = await client.count();
        process.stdout.write(format === 'table' ? `${count}\n` : render([{ count: String(count) }], format, { root: 'sessionCount' }));
        return EXIT.ok;
      }
      case 'sessions': {
        const nas = v.nas === undefined ? undefined : ip(v.nas, '--nas');
        const endpoint = v.mac === undefined ? undefined : mac(v.mac);
        const paged = v.page !== undefined || v.size !== undefined;
        const page = number(v.page, '--page', 1, 1, 1_000_000_000);
        const size = number(v.size, '--size', 50, 1, 100_000);
        const writer = new RowWriter(format, { columns: SESSION_COLUMNS, essential: ['calling_station_id', 'user_name', 'nas_ip_address'], width, root: 'activeList' }, process.stdout);
        let rows: AsyncIterable<Record<string, string>[]>;
        if (await client.isOpenMnt()) {
          // OpenMnT filters and pages in its store: only the matching sessions cross the network.
          const q = new URLSearchParams();
          if (nas !== undefined) q.set('nas', nas);
          if (v.user !== undefined) q.set('user', v.user);
          if (endpoint !== undefined) q.set('mac', endpoint);
          if (paged) {
            q.set('page', String(page));
            q.set('size', String(size));
          }
          rows = client.sessions(q);
        } else {
          // ISE has no filter: its whole list is read as a stream, each session kept or dropped as it passes.
          rows = pageOf(
            filterRows(client.sessions(), (r) => (nas === undefined || r.nas_ip_address === nas) && (v.user === undefined || r.user_name === v.user) && (endpoint === undefined || r.calling_station_id?.toUpperCase() === endpoint)),
            paged ? (page - 1) * size : 0,
            paged ? size : Number.POSITIVE_INFINITY,
          );
        }
        for await (const batch of rows) await writer.write(batch);
        await writer.end();
        return EXIT.ok;
      }
      case 'session': {
        if (v.key !== undefined) {
          // The cookbook's spelling: a bare argument is the endpoint's MAC.
          if (v.mac !== undefined) usage(`give the MAC once: ${v.key} or --mac ${v.mac}`);
          v = { ...v, mac: normalizeMac(v.key) ?? usage(`${v.key} is not a MAC address (a bare argument is the endpoint's MAC; for others use --ip, --user, --endpoint-ip or --session-id)`) };
        }
        const keys = (['mac', 'ip', 'user', 'endpoint-ip', 'session-id'] as const).filter((k) => v[k] !== undefined);
        if (keys.length !== 1) usage('give exactly one of MAC, --mac, --ip, --user, --endpoint-ip, --session-id');
        const key = keys[0]!;
        const record =
          key === 'mac'
            ? await client.session('MACAddress', mac(v.mac!))
            : key === 'ip'
              ? await client.session('IPAddress', ip(v.ip!, '--ip'))
              : key === 'user'
                ? await client.session('UserName', v.user!)
                : key === 'endpoint-ip'
                  ? await client.session('EndPointIPAddress', ip(v['endpoint-ip']!, '--endpoint-ip'))
                  : await client.sessionById(v['session-id']!);
        if (format === 'table') {
          const keyWidth = Math.max(...Object.keys(record).map((k) => k.length));
          for (const [k, value] of Object.entries(record)) process.stdout.write(`${k.padEnd(keyWidth)}  ${value}\n`);
        } else {
          print([record], [], 'sessionParameters');
        }
        return EXIT.ok;
      }
      case 'auth-status': {
        if (v.key !== undefined && v.mac !== undefined) usage(`give the MAC once: ${v.key} or --mac ${v.mac}`);
        const endpoint = v.key ?? v.mac;
        if (endpoint === undefined) usage('auth-status needs a MAC (openmnt auth-status MAC, or --mac MAC)');
        const rows = await client.authStatus(mac(endpoint, v.key === undefined ? '--mac' : 'MAC'), number(v.seconds, '--seconds', 3600, 1, 864000), number(v.records, '--records', 50, 1, 500));
        // What this is run for is why an endpoint failed: when, passed or not, which endpoint, and the reason (wrapped, never dropped).
        print(rows, ['acs_timestamp', 'passed', 'user_name', 'calling_station_id', 'nas_ip_address', 'failure_reason', 'selected_azn_profiles', 'identity_group', 'authentication_method'], 'authStatusList', ['acs_timestamp', 'passed', 'calling_station_id', 'failure_reason']);
        return EXIT.ok;
      }
      case 'acct-status': {
        if (v.mac === undefined) usage('acct-status needs --mac');
        print(await client.acctStatus(mac(v.mac), number(v.seconds, '--seconds', 900, 1, 432000)), [], 'acctStatusList');
        return EXIT.ok;
      }
      case 'failure-reasons':
        print(await client.failureReasons(), ['id', 'code', 'cause', 'resolution'], 'failureReasonList', ['code', 'cause']);
        return EXIT.ok;
      case 'delete': {
        const chosen = [v.all === true, v.mac !== undefined, v['session-id'] !== undefined].filter(Boolean).length;
        if (chosen !== 1) usage('give exactly one of --all, --mac, --session-id');
        const what = v.all ? ({ all: true } as const) : v.mac !== undefined ? { mac: mac(v.mac) } : { sessionId: v['session-id']! };
        const label = 'all' in what ? 'every active session' : 'mac' in what ? `the sessions of ${what.mac}` : `session ${what.sessionId}`;
        if (!v.yes && !(await confirm(`remove ${label} from the active list?`))) {
          process.stderr.write('openmnt delete: not confirmed, nothing removed\n');
          return EXIT.failed;
        }
        print([await client.deleteSessions(what)], ['status', 'description'], 'mnt-rest-result');
        return EXIT.ok;
      }
      case 'audit': {
        const q = new URLSearchParams();
        if (v.mac !== undefined) q.set('mac', mac(v.mac));
        if (v.nas !== undefined) q.set('nas', ip(v.nas, '--nas'));
        if (v.outcome !== undefined) q.set('outcome', v.outcome);
        if (v.since !== undefined) q.set('since', v.since);
        q.set('limit', String(number(v.limit, '--limit', 50, 1, 10000)));
        print(await client.audit(q), ['at', 'admin', 'mac', 'nasIp', 'action', 'actionType', 'outcome', 'errorCause', 'attempts', 'rttMs', 'jobId'], 'coaAudit');
        return EXIT.ok;
      }
      case 'coa':
        return bulk ? await coaBulk(client, v, format) : await coa(client, v, print);
      default:
        return usage(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`openmnt ${command}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

async function coa(client: MntClient, v: Values, print: (rows: Record<string, string>[], columns?: string[], root?: string) => void): Promise<number> {
  const keys = (['mac', 'ip', 'user'] as const).filter((k) => v[k] !== undefined);
  if (keys.length !== 1) usage('give exactly one of --mac, --ip (endpoint address), --user');
  const action = v.action ?? 'reauth';
  const kinds: Record<string, ['Reauth' | 'Disconnect', number]> = { reauth: ['Reauth', 0], disconnect: ['Disconnect', 0], bounce: ['Disconnect', 1], shutdown: ['Disconnect', 2] };
  const kind = kinds[action] ?? usage(`--action ${action}: use reauth, disconnect, bounce or shutdown`);
  let type = kind[1];
  if (v.type !== undefined) {
    if (action !== 'reauth') usage('--type goes with --action reauth');
    type = ['default', 'last', 'rerun'].indexOf(v.type);
    if (type < 0) usage(`--type ${v.type}: use default, last or rerun`);
  }
  // --ip and --user name the endpoint through its session, as the cookbook's loops do.
  const session =
    keys[0] === 'mac' ? null : keys[0] === 'ip' ? await client.session('EndPointIPAddress', ip(v.ip!, '--ip')) : await client.session('UserName', v.user!);
  const endpoint = keys[0] === 'mac' ? mac(v.mac!) : mac(session!.calling_station_id ?? '', 'the session\'s calling_station_id');
  const nasIp = session?.nas_ip_address ?? null;
  if (action !== 'reauth' && !v.yes && !(await confirm(`${action} ${endpoint}?`))) {
    process.stderr.write('openmnt coa: not confirmed, nothing sent\n');
    return EXIT.failed;
  }
  const verifySeconds = v.verify ? number(v['verify-timeout'], '--verify-timeout', 10, 1, 300) : null;
  if (verifySeconds !== null && action !== 'reauth') usage('--verify goes with --action reauth');
  const openMnt = await client.isOpenMnt();
  const before = verifySeconds !== null && !openMnt ? await client.session('MACAddress', endpoint).catch(() => null) : null;
  const { results, detail } = await client.coa(kind[0], endpoint, type, nasIp, openMnt ? verifySeconds : null);
  const row: Record<string, string> = { mac: endpoint, action, results: String(results) };
  if (detail !== null) {
    for (const k of ['outcome', 'nasIp', 'errorCause', 'errorCauseText', 'attempts', 'rttMs'] as const) {
      if (detail[k] !== null && detail[k] !== undefined) row[k] = String(detail[k]);
    }
  }
  if (verifySeconds !== null && results) {
    // OpenMnT verifies on the server; against ISE, do what the cookbook does: wait, then look again.
    let verification = detail?.verification as { verified: boolean; before: Record<string, unknown> | null; after: Record<string, unknown> | null } | undefined;
    if (verification === undefined) {
      await new Promise((r) => setTimeout(r, verifySeconds * 1000));
      const after = await client.session('MACAddress', endpoint).catch(() => null);
      const mark = (s: Record<string, string> | null) => s?.auth_acs_timestamp ?? s?.acct_acs_timestamp ?? '';
      verification = { verified: after !== null && mark(after) !== mark(before), before, after };
    }
    row.verified = String(verification.verified);
    const pick = (s: Record<string, unknown> | null, ...keys: string[]) => (s === null ? '' : String(keys.map((k) => s[k]).find((x) => x !== undefined && x !== null) ?? ''));
    row.vlanBefore = pick(verification.before, 'vlan');
    row.vlanAfter = pick(verification.after, 'vlan');
    row.profileBefore = pick(verification.before, 'authorizationProfile', 'selected_azn_profiles');
    row.profileAfter = pick(verification.after, 'authorizationProfile', 'selected_azn_profiles');
  }
  print([row], ['mac', 'action', 'results', 'outcome', 'nasIp', 'errorCause', 'errorCauseText', 'attempts', 'rttMs', 'verified'], 'remoteCoA');
  return results && row.verified !== 'false' ? EXIT.ok : EXIT.failed;
}

const ACTIONS: Record<string, { action: 'reauth' | 'disconnect'; type: string; ise: ['Reauth' | 'Disconnect', number] }> = {
  reauth: { action: 'reauth', type: 'default', ise: ['Reauth', 0] },
  disconnect: { action: 'disconnect', type: 'default', ise: ['Disconnect', 0] },
  bounce: { action: 'disconnect', type: 'bounce', ise: ['Disconnect', 1] },
  shutdown: { action: 'disconnect', type: 'shutdown', ise: ['Disconnect', 2] },
};

interface Outcome {
  mac: string;
  outcome: string;
}

/** Progress on a terminal (bar, rate, ETA, rewritten in place); a plain line per result otherwise. */
function progress(total: number): { update(done: number, last?: Outcome): void; end(): void } {
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  let printed = 0;
  return {
    update(done: number, last?: Outcome) {
      if (!tty) {
        if (last) process.stderr.write(`${new Date().toISOString()} ${last.mac} ${last.outcome}\n`);
        return;
      }
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const eta = rate > 0 ? Math.ceil((total - done) / rate) : 0;
      const width = 30;
      const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)}/s ETA ${eta}s `);
      printed = done;
    },
    end() {
      if (tty && printed >= 0) process.stderr.write('\n');
    },
  };
}

async function macsFrom(v: Values): Promise<string[] | undefined> {
  let text: string | undefined;
  if (v.file !== undefined) {
    const { readFile } = await import('node:fs/promises');
    text = await readFile(v.file, 'utf8').catch((e: Error) => usage(`--file ${v.file}: ${e.message}`));
  } else if (v.stdin) {
    text = '';
    for await (const chunk of process.stdin) text += String(chunk);
  }
  if (text === undefined) return undefined;
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => mac(l, 'a listed MAC'));
}

async function coaBulk(client: MntClient, v: Values, format: Format): Promise<number> {
  const chosen = (['nas', 'user', 'policy', 'file', 'stdin'] as const).filter((k) => v[k] !== undefined);
  if (chosen.length !== 1) usage('coa bulk needs exactly one of --nas, --user, --policy, --file, --stdin');
  const spec = ACTIONS[v.action ?? 'reauth'] ?? usage(`--action ${v.action}: use reauth, disconnect, bounce or shutdown`);
  let type = spec.type;
  if (v.type !== undefined) {
    if (spec.action !== 'reauth' || !['default', 'last', 'rerun'].includes(v.type)) usage('--type is default, last or rerun, with --action reauth');
    type = v.type;
  }
  const concurrency = number(v.concurrency, '--concurrency', 10, 1, 1000);
  const rate = number(v.rate, '--rate', 0, 0, 100000);
  const macs = await macsFrom(v);
  const summary = (counts: Record<string, number>, seconds: number) => {
    const row = Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, String(n)]));
    row.seconds = seconds.toFixed(2);
    process.stdout.write(render([row], format, { columns: ['ack', 'nak', 'timeout', 'unreachable', 'refused', 'cancelled', 'failed', 'seconds'], root: 'summary' }));
    const failed = Object.entries(counts).some(([k, n]) => k !== 'ack' && n > 0);
    return failed ? EXIT.failed : EXIT.ok;
  };

  if (await client.isOpenMnt()) {
    const selector: Record<string, unknown> = {};
    if (v.nas !== undefined) selector.nasIp = ip(v.nas, '--nas');
    if (v.user !== undefined) selector.userName = v.user;
    if (v.policy !== undefined) selector.policy = v.policy;
    if (macs !== undefined) selector.macs = macs;
    const body = { selector, action: spec.action, type, pacing: { perNasInFlight: concurrency, perNasPerSecond: rate } };
    const dry = await client.job({ ...body, dryRun: true });
    const count = Number(dry.count);
    process.stderr.write(`${count} endpoint(s) selected\n`);
    if (v['dry-run']) {
      process.stdout.write(render((dry.endpoints as Record<string, string>[]).map((e) => ({ mac: e.mac!, nasIp: e.nasIp! })), format, { columns: ['mac', 'nasIp'], root: 'endpoints' }));
      return EXIT.ok;
    }
    if (count === 0) return EXIT.ok;
    if (!v.yes && !(await confirm(`${v.action ?? 'reauth'} ${count} endpoint(s)?`))) {
      process.stderr.write('openmnt coa bulk: not confirmed, nothing sent\n');
      return EXIT.failed;
    }
    const job = await client.job(body);
    const bar = progress(Number(job.total));
    let seen = 0;
    let after = 0;
    for (;;) {
      // The state first, then the results: once the state says ended, the results read after it
      // are all there are. Each poll reads only the results after the last one shown; a page
      // without `next` is the last of an ended job (it may have ended after the state was read).
      let status = await client.jobStatus(String(job.id));
      let last = false;
      for (let full = true; full && !last; ) {
        const page = await client.jobResults(String(job.id), after, 1000);
        for (const r of page.results) bar.update(++seen, r as unknown as Outcome);
        if (page.next === null) last = true;
        else after = page.next;
        full = page.results.length === 1000;
      }
      if (last && status.state === 'running') status = await client.jobStatus(String(job.id));
      if (last || status.state !== 'running') {
        bar.end();
        return summary(status.counts as Record<string, number>, Number(status.durationMs) / 1000);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // A Cisco ISE node: select through ActiveList and loop here with the same pacing.
  if (v.policy !== undefined) usage('--policy needs an OpenMnT node (ISE answers no policy over the MnT API)');
  let targets: { mac: string; nasIp: string | null }[];
  if (macs !== undefined) {
    targets = [...new Set(macs)].map((m) => ({ mac: m, nasIp: null }));
  } else {
    const unique = new Map<string, string | null>();
    for await (const rows of filterRows(client.sessions(), (r) => (v.nas === undefined || r.nas_ip_address === v.nas) && (v.user === undefined || r.user_name === v.user))) {
      for (const r of rows) unique.set(r.calling_station_id!.toUpperCase(), r.nas_ip_address ?? null);
    }
    targets = [...unique].map(([m, nasIp]) => ({ mac: m, nasIp }));
  }
  process.stderr.write(`${targets.length} endpoint(s) selected\n`);
  if (v['dry-run']) {
    process.stdout.write(render(targets.map((t) => ({ mac: t.mac, nasIp: t.nasIp ?? '' })), format, { columns: ['mac', 'nasIp'], root: 'endpoints' }));
    return EXIT.ok;
  }
  if (targets.length === 0) return EXIT.ok;
  if (!v.yes && !(await confirm(`${v.action ?? 'reauth'} ${targets.length} endpoint(s)?`))) return EXIT.failed;
  // ISE's `false` means it could not send; it never tells what the NAS answered.
  const counts: Record<string, number> = { ack: 0, failed: 0 };
  const started = Date.now();
  const bar = progress(targets.length);
  const typeIndex = spec.action === 'reauth' ? ['default', 'last', 'rerun'].indexOf(type) : spec.ise[1];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < targets.length) {
      const t = targets[next++]!;
      if (rate > 0) await new Promise((r) => setTimeout(r, (1000 * concurrency) / rate));
      let outcome: string;
      try {
        outcome = (await client.coa(spec.ise[0], t.mac, typeIndex, t.nasIp)).results ? 'ack' : 'failed';
      } catch (error) {
        if (error instanceof CliError && error.exitCode === EXIT.auth) throw error;
        outcome = 'refused';
      }
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      bar.update(++done, { mac: t.mac, outcome });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  bar.end();
  return summary(counts, (Date.now() - started) / 1000);
}

const SESSION_COLUMNS = ['calling_station_id', 'user_name', 'nas_ip_address', 'framed_ip_address', 'audit_session_id', 'acct_session_id', 'server'];

async function* filterRows<T>(batches: AsyncIterable<T[]>, keep: (row: T) => boolean): AsyncGenerator<T[]> {
  for await (const batch of batches) {
    const kept = batch.filter(keep);
    if (kept.length > 0) yield kept;
  }
}

/** Rows `offset` to `offset + size` of a stream; stops reading once they are through. */
async function* pageOf<T>(batches: AsyncIterable<T[]>, offset: number, size: number): AsyncGenerator<T[]> {
  let skip = offset;
  let left = size;
  for await (const batch of batches) {
    const from = Math.min(skip, batch.length);
    skip -= from;
    const taken = batch.slice(from, from + Math.min(left, batch.length - from));
    left -= taken.length;
    if (taken.length > 0) yield taken;
    if (left <= 0) return;
  }
}
