/**
 * `openmnt sessions --nas X` against an ISE-shaped node whose ActiveList holds 2,000,000 sessions:
 * the CLI's peak RSS and wall time, beside the anchor of the old buffering client at 300,000.
 *
 * The fixture writes the list as ISE would (XML, `activeList` root, four-space indentation),
 * generating each session as it goes and waiting for the socket to drain, so the fixture holds no
 * list either. The CLI runs as a child process under `/usr/bin/time -v` (its "Maximum resident set
 * size" is the peak RSS; without it, /proc/PID/status VmHWM is sampled until the child exits).
 *
 * Knobs: SESSIONS (2,000,000), NAS_COUNT (200 NAS, so --nas matches 1 in 200), ANCHOR_SESSIONS
 * (300,000), ANCHOR_DIR: a built checkout of the old client (e.g. a worktree of main before the
 * streaming parser, after `npm run build`) to measure the anchor now; without it the issue's
 * recorded figure is printed, labelled as such.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const SESSIONS = Number(process.env.SESSIONS ?? 2_000_000);
const NAS_COUNT = Number(process.env.NAS_COUNT ?? 200);
const ANCHOR_SESSIONS = Number(process.env.ANCHOR_SESSIONS ?? 300_000);
const ANCHOR_DIR = process.env.ANCHOR_DIR;
const TARGET_MB = 100;
const CREDENTIALS = { user: 'ise-admin', password: 'Ise-Pass-1' };
const HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

function nasOf(i: number): string {
  return `10.${Math.floor((i % NAS_COUNT) / 250) + 50}.${(i % NAS_COUNT) % 250}.1`;
}

function session(i: number): string {
  const mac = (0x001b_7800_0000 + i).toString(16).padStart(12, '0').toUpperCase().match(/../g)!.join(':');
  return (
    `    <activeSession>\n        <user_name>user${i}</user_name>\n        <calling_station_id>${mac}</calling_station_id>\n` +
    `        <nas_ip_address>${nasOf(i)}</nas_ip_address>\n        <acct_session_id>${i.toString(16).padStart(8, '0')}</acct_session_id>\n` +
    `        <audit_session_id>0A32010A${i.toString(16).padStart(16, '0').toUpperCase()}</audit_session_id>\n        <server>ise-psn-1</server>\n` +
    `        <framed_ip_address>10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}</framed_ip_address>\n        <framed_ipv6_address/>\n    </activeSession>\n`
  );
}

/** Writes the list a 64 KiB slice at a time, waiting for the socket whenever it asks. */
async function streamList(res: ServerResponse, total: number): Promise<number> {
  res.writeHead(200, { 'Content-Type': 'application/xml;charset=UTF-8' });
  let bytes = 0;
  let buffer = `${HEADER}<activeList noOfActiveSession="${total}">\n`;
  for (let i = 0; i < total; i++) {
    buffer += session(i);
    if (buffer.length >= 64 * 1024) {
      bytes += buffer.length;
      if (!res.write(buffer)) await new Promise((r) => res.once('drain', r));
      if (res.destroyed) return bytes;
      buffer = '';
    }
  }
  buffer += '</activeList>\n';
  bytes += buffer.length;
  res.end(buffer);
  return bytes;
}

interface Fixture {
  url: string;
  sessions: number;
  lastBytes: number;
  close(): Promise<void>;
}

async function startFixture(): Promise<Fixture> {
  const state = { sessions: SESSIONS, lastBytes: 0 };
  const expected = `Basic ${Buffer.from(`${CREDENTIALS.user}:${CREDENTIALS.password}`).toString('base64')}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) return void res.writeHead(401).end();
    const path = (req.url ?? '').split('?')[0];
    if (path === '/admin/API/mnt/Version') {
      return void res.writeHead(200, { 'Content-Type': 'application/xml;charset=UTF-8' }).end(`${HEADER}<product name="Cisco Identity Services Engine">\n    <version>3.2.0.542</version>\n    <type_of_node>1</type_of_node>\n</product>\n`);
    }
    if (path === '/admin/API/mnt/Session/ActiveList') {
      void streamList(res, state.sessions).then((b) => (state.lastBytes = b));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  });
}

interface Measured {
  peakMiB: number;
  seconds: number;
  rows: number;
  status: number | null;
  stderr: string;
}

/** Runs the CLI of `dir` and measures it: peak RSS from time -v (or VmHWM), wall time, rows printed. */
async function measure(dir: string, url: string, nas: string): Promise<Measured> {
  const useTime = existsSync('/usr/bin/time');
  const cli = [process.execPath, join(dir, 'bin/openmnt.js'), 'sessions', '--nas', nas, '--format', 'csv'];
  const [command, ...args] = useTime ? ['/usr/bin/time', '-v', ...cli] : cli;
  const started = process.hrtime.bigint();
  const child = spawn(command!, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...(process.env.CLI_NODE_OPTIONS ? { NODE_OPTIONS: process.env.CLI_NODE_OPTIONS } : {}), ISE_PAN_FQDN: url, ISE_API_USER: CREDENTIALS.user, ISE_API_PASS: CREDENTIALS.password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let rows = 0;
  let stderr = '';
  let hwmKiB = 0;
  child.stdout.on('data', (d: Buffer) => {
    for (const byte of d) if (byte === 10) rows++;
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const sampler = useTime
    ? null
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwmKiB = Math.max(hwmKiB, Number(m[1]));
        } catch {
          // exited between samples
        }
      }, 20);
  const status = await new Promise<number | null>((r) => child.on('close', r));
  if (sampler) clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (useTime) {
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
    hwmKiB = m ? Number(m[1]) : 0;
  }
  // time -v adds its own lines; the exit status it reports is the CLI's.
  const cliStatus = useTime ? Number(/Exit status: (\d+)/.exec(stderr)?.[1] ?? status) : status;
  return { peakMiB: hwmKiB / 1024, seconds, rows: Math.max(0, rows - 1), status: cliStatus, stderr: stderr.split('\n\tCommand being timed')[0]!.trim() };
}

async function main(): Promise<void> {
  const fixture = await startFixture();
  const nas = nasOf(7);
  const perNas = Math.ceil(SESSIONS / NAS_COUNT);
  try {
    console.log(`openmnt sessions --nas ${nas} against an ISE-shaped ActiveList (${NAS_COUNT} NAS, ~${perNas} sessions each), measured ${new Date().toISOString()}`);
    fixture.sessions = SESSIONS;
    const ours = await measure(process.cwd(), fixture.url, nas);
    if (ours.status !== 0) throw new Error(`the CLI failed (${ours.status}): ${ours.stderr}`);
    console.log(
      `  this tree, ${SESSIONS.toLocaleString('en')} sessions (${(fixture.lastBytes / 2 ** 20).toFixed(0)} MiB of XML): peak RSS ${ours.peakMiB.toFixed(1)} MiB, ` +
        `${ours.seconds.toFixed(1)} s, ${ours.rows.toLocaleString('en')} rows printed — target ≤ ${TARGET_MB} MB: ${ours.peakMiB * 1.048576 <= TARGET_MB ? 'met' : 'NOT met'}`,
    );
    if (ANCHOR_DIR !== undefined) {
      fixture.sessions = ANCHOR_SESSIONS;
      const old = await measure(ANCHOR_DIR, fixture.url, nas);
      const note = old.status === 0 ? `${old.rows.toLocaleString('en')} rows printed` : `failed (${old.status}): ${old.stderr.slice(0, 200)}`;
      console.log(`  anchor, the buffering client from ${ANCHOR_DIR}, ${ANCHOR_SESSIONS.toLocaleString('en')} sessions: peak RSS ${old.peakMiB.toFixed(1)} MiB, ${old.seconds.toFixed(1)} s, ${note}`);
    } else {
      console.log('  anchor (recorded in issue 14, not measured in this run): the buffering client, 300,000 sessions: 1.1 GiB RSS, 16.8 s');
    }
  } finally {
    await fixture.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
