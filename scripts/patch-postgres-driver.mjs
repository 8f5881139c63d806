// Run after install (package.json postinstall). Two defects of the `postgres` driver (3.4.x) are
// mended in the installed copy, each found by a failover test here, each idempotent (a mark in the
// code says it is done) and skipped with a warning when the driver no longer has the code it was
// written for (a newer release).
//
// 1. Closed-connection guard. The driver puts a small message aside and writes it on the next turn
//    of the event loop; when its connection closed in between (a database failover, a cut link),
//    the socket is gone and that write throws where no caller can catch it: the process ends. A
//    connection held by a transaction meets this every time its server goes away, since its
//    ROLLBACK is written after the close. Reported upstream (porsager/postgres issues 1066, 1154,
//    1208). Guarded: a write on a closed connection fails the queries waiting on it with
//    CONNECTION_CLOSED, as the driver already does for those in flight when a connection closes,
//    and a closing connection forgets the message it had put aside.
// 2. target_session_attrs skipped after a server died. A backend whose postmaster died answers the
//    query in flight with FATAL 57P01; the driver keeps that error and raises it at the first
//    ReadyForQuery of its next connection, to whatever host that is. It fails the new connection's
//    first query with it, and then, that query gone, skips the server check that runs only while a
//    first query waits: a pool told `primary` stayed on the hot standby, and every write failed
//    there (25006) even after the old primary came back (test/store/pg-driver-guard.test.ts; the
//    symptom is porsager/postgres issue 815). Mended: a new connection starts with no error, and
//    the server check runs on each new connection's first ReadyForQuery whether a query waits or not.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const GUARD = '/* openmnt: closed-connection guard */';
const WRITE = '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)';
const GUARDED =
  `  function nextWrite(fn) {\n` +
  `    if (socket === null) { ${GUARD}\n` +
  `      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n` +
  `      chunk = nextWriteTimer = null\n` +
  `      error(Errors.connection('CONNECTION_CLOSED', options))\n` +
  `      return false\n` +
  `    }\n` +
  `    const x = socket.write(chunk, fn)`;
const CLEAR = '    clearImmediate(nextWriteTimer)\n';
const CLEARED = `    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null ${GUARD}\n`;

const TARGET = '/* openmnt: server check on every new connection */';
const CONNECT = '  async function connect() {\n    terminated = false\n    backendParameters = {}\n';
const CONNECT_CLEAN = `  async function connect() {\n    terminated = false\n    errorResponse = null ${TARGET}\n    backendParameters = {}\n`;
const CHECK =
  '    if (initial) {\n' +
  '      if (target_session_attrs) {\n' +
  '        if (!backendParameters.in_hot_standby || !backendParameters.default_transaction_read_only)\n' +
  '          return fetchState()\n' +
  '        else if (tryNext(target_session_attrs, backendParameters))\n' +
  '          return terminate()\n' +
  '      }\n';
const CHECK_ALWAYS =
  `    if (target_session_attrs && socket && !socket.openmntTargetChecked) { ${TARGET}\n` +
  '      if (!backendParameters.in_hot_standby || !backendParameters.default_transaction_read_only)\n' +
  '        return fetchState()\n' +
  '      else if (tryNext(target_session_attrs, backendParameters))\n' +
  '        return terminate()\n' +
  '      socket.openmntTargetChecked = true\n' +
  '    }\n' +
  '\n' +
  '    if (initial) {\n';

/** Each mend: its mark, and the texts it replaces (each must be found) with what replaces them (every occurrence). */
const MENDS = [
  { name: 'closed-connection guard', mark: GUARD, edits: [[WRITE, GUARDED], [CLEAR, CLEARED]] },
  { name: 'server check on every new connection', mark: TARGET, edits: [[CONNECT, CONNECT_CLEAN], [CHECK, CHECK_ALWAYS]] },
];

function driverDirectory() {
  try {
    return dirname(createRequire(import.meta.url).resolve('postgres/package.json'));
  } catch {
    // Its exports map may hide package.json: find the folder from the entry point instead.
    try {
      return join(dirname(createRequire(import.meta.url).resolve('postgres')), '..', '..');
    } catch {
      return null;
    }
  }
}

const root = driverDirectory();
if (root === null) {
  console.log('openmnt: the postgres driver is not installed; nothing to patch');
  process.exit(0);
}
for (const file of ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'].map((f) => join(root, f))) {
  if (!existsSync(file)) continue;
  let text = readFileSync(file, 'utf8');
  for (const mend of MENDS) {
    if (text.includes(mend.mark)) continue;
    if (!mend.edits.every(([from]) => text.includes(from))) {
      console.warn(`openmnt: ${file} is not the code the ${mend.name} was written for; left as it is`);
      continue;
    }
    for (const [from, to] of mend.edits) text = text.replaceAll(from, to);
    writeFileSync(file, text);
    console.log(`openmnt: ${mend.name} added to the postgres driver in ${file}`);
  }
}
