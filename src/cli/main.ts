/**
 * The `openmnt` command. `serve` runs the node; the client commands (sessions, CoA, …) speak HTTP
 * to any MnT node and arrive with the API.
 */
import { isOpenMntError } from '../errors.js';
import { runProgram } from './program.js';

/** Runs `openmnt ARGS…`; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  return runProgram(argv, {
    serve: ({ config }) => serve(config),
    // Each part loads only for the commands that need it: a client command stays small (no
    // schema library, logger or database driver in a process that only reads a list).
    admin: async (args) => (await import('./admin.js')).admin(args),
    checkConfig: async (options) => (await import('./check-config.js')).checkConfig(options),
    configSchema: async () => {
      process.stdout.write((await import('./check-config.js')).configSchemaText());
      return 0;
    },
    completion: async (shell) => {
      process.stdout.write((await import('./completion.js')).completionScript(shell as 'bash' | 'zsh'));
      return 0;
    },
    client: async (command, values) => (await import('./commands.js')).runClientCommand(command, values),
    policy: async (command, argv) => (await import('./policy.js')).runPolicyCommand(command, argv),
    dc: async (argv) => (await import('./dc.js')).runDcCommand(argv),
    db: async (sub, options) => (await import('./db.js')).runDbCommand(sub, options),
  });
}

async function serve(configFile: string | undefined): Promise<number> {
  const { defaultConfigFile, loadConfig } = await import('../config.js');
  const { createLogger } = await import('../logger.js');
  const file = configFile || defaultConfigFile();
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
  const { startServer } = await import('../server.js');
  let running;
  try {
    running = await startServer(config, logger);
  } catch (error) {
    // One line that says what to fix, never a stack: the parts that did start are closed again.
    // A schema this release must not touch carries its stable code, for scripts and searches.
    const code = isOpenMntError(error) && error.code.startsWith('STORE_SCHEMA_') ? ` (${error.code})` : '';
    process.stderr.write(`openmnt serve: ${error instanceof Error ? error.message : String(error)}${code}\n`);
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
