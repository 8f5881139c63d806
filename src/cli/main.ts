/**
 * The `openmnt` command. `serve` runs the node; the client commands (sessions, CoA, …) speak HTTP
 * to any MnT node and arrive with the API.
 */
import { parseArgs } from 'node:util';
import { defaultConfigFile, loadConfig } from '../config.js';
import { isOpenMntError } from '../errors.js';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';
import { admin } from './admin.js';
import { checkConfig } from './check-config.js';
import { CLIENT_COMMANDS, CLIENT_HELP, runClientCommand } from './commands.js';

export const HELP = `openmnt — open Monitoring-and-Troubleshooting node for RADIUS sessions

Usage
  openmnt serve [--config FILE]     run the node: RADIUS listeners, session directory, MnT API
  openmnt admin <action> ...        admin accounts of the MnT API (add, passwd, list, remove;
                                    see openmnt admin --help)
  openmnt check-config [--config FILE]
                                    validate the configuration, print it with secrets masked
  openmnt help                      this text

Options of serve
  -c, --config FILE   YAML configuration (default: $OPENMNT_CONFIG, else ./openmnt.yaml if
                      present, else built-in defaults with a demo NAS 127.0.0.1 / testing123)

Environment
  OPENMNT_CONFIG      configuration file when --config is not given
  OPENMNT_<PATH>      overrides one setting: segments of its path in upper snake case joined
                      by "__", e.g. OPENMNT_RADIUS__AUTH__PORT=11812, OPENMNT_STORE__PATH=/var/lib/openmnt.db

Signals (serve)
  SIGHUP              read the configuration again: NAS table, auth seed, log level, lock-out,
                      TLS certificate apply at once; a broken file keeps the running one
  SIGTERM, SIGINT     drain (answer requests in flight, commit what is queued), then stop

Exit codes
  0 stopped cleanly   1 failed   2 usage error
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'admin':
      return admin(rest);
    case 'check-config':
      return checkConfig(rest);

    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${HELP}\n${CLIENT_HELP}`);
      return command === undefined ? 2 : 0;
    default:
      if ((CLIENT_COMMANDS as readonly string[]).includes(command)) return runClientCommand(command, rest);
      process.stderr.write(`openmnt: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

async function serve(argv: string[]): Promise<number> {
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`openmnt serve: ${(error as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const file = values.config || defaultConfigFile();
  let config;
  try {
    config = loadConfig({ file });
  } catch (error) {
    if (isOpenMntError(error)) {
      process.stderr.write(`openmnt serve: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.log.level);
  // A SIGHUP while the node starts (a log rotation, say) must not end it, as the default action would.
  const starting = () => logger.warn('SIGHUP while starting: ignored; send it again once the node serves');
  process.on('SIGHUP', starting);
  let running;
  try {
    running = await startServer(config, logger);
  } catch (error) {
    // One line that says what to fix, never a stack: the parts that did start are closed again.
    process.stderr.write(`openmnt serve: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stderr.write(`\nMnT API: ${running.api.url}  (e.g. curl -k -u USER:PASS ${running.api.url}Session/ActiveCount)\n`);
  if (running.initialAdmin !== null) {
    process.stderr.write(
      `First start: created the admin account "${running.initialAdmin.name}" (Super Admin) with password\n` +
        `    ${running.initialAdmin.password}\n` +
        `It is shown only this once; change it with: openmnt admin passwd ${running.initialAdmin.name}\n`,
    );
  }
  if (config.radius.clients.length === 0) {
    process.stderr.write(
      `\nNo NAS clients configured: accepting RADIUS from 127.0.0.1 with secret "testing123" (demo).\n` +
        `  auth ${config.radius.auth.host}:${running.ports.auth}  accounting ${config.radius.accounting.host}:${running.ports.accounting}\n` +
        `  try: echo "User-Name=00:11:22:33:44:55,Acct-Status-Type=Start,Acct-Session-Id=1" | radclient 127.0.0.1:${running.ports.accounting} acct testing123\n\n`,
    );
  }
  const node = running;
  process.off('SIGHUP', starting);
  // SIGHUP: read the file again and apply what can change live; a broken file changes nothing.
  process.on('SIGHUP', () => {
    void (async () => {
      try {
        const changes = await node.reload(loadConfig({ file }));
        logger.info({ file, applied: changes.applied, needRestart: changes.needRestart }, changes.applied.length > 0 ? 'configuration reloaded' : 'configuration reloaded: nothing to apply');
        if (changes.needRestart.length > 0) logger.warn({ settings: changes.needRestart }, 'changed settings that take effect only after a restart; the running values are kept');
      } catch (error) {
        logger.error({ file, reason: error instanceof Error ? error.message : String(error) }, 'configuration reload failed; the running configuration is kept');
      }
    })();
  });
  // A part that fails for good (the RADIUS thread) stops the node as a signal would, with exit 1,
  // so that the service manager restarts it instead of leaving a node that answers no NAS.
  let failed = false;
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    node.onFailure((error) => {
      failed = true;
      logger.fatal({ code: error.code, reason: error.message }, 'a part of the node failed; stopping');
      resolve(error.code);
    });
  });
  // Draining: no new requests, the ones in hand answered, every queued write committed. Bounded, so
  // a wedged part cannot keep a service manager waiting; a second signal stops at once.
  logger.info({ signal, drainSeconds: DRAIN_SECONDS }, 'stopping: draining requests in flight');
  const again = () => {
    logger.warn('second signal: stopping without waiting');
    process.exit(1);
  };
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  const drained = await Promise.race([
    node.close().then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), DRAIN_SECONDS * 1000).unref()),
  ]);
  if (!drained) {
    logger.error({ drainSeconds: DRAIN_SECONDS }, 'drain did not finish in time; stopping anyway (unanswered requests are retransmitted by their NAS)');
    return 1;
  }
  logger.info('stopped');
  return failed ? 1 : 0;
}

/** How long a stop may take to answer what is in flight and commit what is queued. */
const DRAIN_SECONDS = 20;
