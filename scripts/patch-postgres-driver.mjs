// Run after install (package.json postinstall). The `postgres` driver (3.4.x) puts a small message
// aside and writes it on the next turn of the event loop; when its connection closed in between
// (a database failover, a cut link), the socket is gone and that write throws where no caller can
// catch it: the process ends. A connection held by a transaction meets this every time its server
// goes away, since its ROLLBACK is written after the close. Reported upstream (porsager/postgres
// issues 1066, 1154, 1208), not fixed in a release yet. Until it is, this adds the guard to the
// installed copy: a write on a closed connection fails the queries waiting on it with
// CONNECTION_CLOSED, as the driver already does for those in flight when a connection closes, and
// a closing connection forgets the message it had put aside. Idempotent; says so when the driver
// no longer has the code it expects (a newer release), and changes nothing then.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARK = '/* openmnt: closed-connection guard */';
const WRITE = '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)';
const GUARDED =
  `  function nextWrite(fn) {\n` +
  `    if (socket === null) { ${MARK}\n` +
  `      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n` +
  `      chunk = nextWriteTimer = null\n` +
  `      error(Errors.connection('CONNECTION_CLOSED', options))\n` +
  `      return false\n` +
  `    }\n` +
  `    const x = socket.write(chunk, fn)`;
const CLEAR = '    clearImmediate(nextWriteTimer)\n';
const CLEARED = `    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null ${MARK}\n`;

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
  const text = readFileSync(file, 'utf8');
  if (text.includes(MARK)) continue;
  if (!text.includes(WRITE) || !text.includes(CLEAR)) {
    console.warn(`openmnt: ${file} is not the code this guard was written for; left as it is`);
    continue;
  }
  writeFileSync(file, text.replace(WRITE, GUARDED).replaceAll(CLEAR, CLEARED));
  console.log(`openmnt: guarded the postgres driver's deferred write in ${file}`);
}
