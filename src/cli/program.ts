/**
 * The command table of `openmnt`: every command, its options and their help, declared once with
 * commander. Parsing, per-command `--help`, refusing an option a command does not take,
 * did-you-mean, `--version`, the shell completion scripts (completion.ts) and the man page
 * (man.ts) all come from this one tree.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { EXIT } from './exit.js';

const FORMATS = ['table', 'json', 'csv', 'xml'] as const;

/** What the program's actions do; main.ts supplies them (kept apart so the table loads without the server). */
export interface Actions {
  serve(options: { config?: string }): Promise<number>;
  admin(argv: string[]): Promise<number>;
  checkConfig(options: { config?: string; quiet?: boolean }): Promise<number>;
  configSchema(): Promise<number>;
  completion(shell: string): Promise<number>;
  client(command: string, values: Record<string, unknown>): Promise<number>;
  /** The policy commands (endpoint, device, policy): their words after the command, parsed in policy.ts. */
  policy(command: string, argv: string[]): Promise<number>;
  /** `openmnt dc query "SQL"`: its words parsed in dc.ts. */
  dc?(argv: string[]): Promise<number>;
  /** `openmnt db status|migrate`: the schema of the configured database. */
  db?(sub: 'status' | 'migrate', options: { config?: string }): Promise<number>;
}

/** Commander with our words for a refused option: which command, what it does take, and a suggestion. */
class OpenMntCommand extends Command {
  override createCommand(name?: string): Command {
    return new OpenMntCommand(name);
  }

  /** The path a user typed: `coa bulk`, `sessions`. */
  commandPath(): string {
    const names: string[] = [];
    for (let c: Command | null = this; c !== null && c.parent !== null; c = c.parent) names.unshift(c.name());
    return names.join(' ');
  }

  unknownOption(flag: string): void {
    // `admin` hands every argument to its own parser.
    if ((this as unknown as { _allowUnknownOption: boolean })._allowUnknownOption) return;
    const own = ownOptions(this).map((o) => o.long!);
    const similar = flag.startsWith('--') ? closest(flag, this.options.map((o) => o.long!).filter((l) => l !== undefined)) : null;
    const suggestion = similar === null ? '' : `\n(Did you mean ${similar}?)`;
    const takes = own.length === 0 ? 'no options of its own' : own.join(', ');
    const connection = this.options.some((o) => o.long === '--host') ? ', and the connection and --format options' : '';
    this.error(`openmnt ${this.commandPath()} does not take ${flag} (it takes ${takes}${connection})${suggestion}`, { code: 'commander.unknownOption', exitCode: EXIT.usage });
  }
}

const TARGET = 'Target and credentials (flags first, then a profile, then the environment the cookbook uses):';
const OUTPUT = 'Output:';

/** The options every client command takes: where the node is, who asks, and how to print. */
function addClientOptions(command: Command): Command {
  const target = (flags: string, description: string) => command.addOption(new Option(flags, description).helpGroup(TARGET));
  target('--host <HOST[:PORT]>', 'MnT node ($ISE_MNT_IP, else $ISE_PAN_FQDN); https:// unless http:// is given');
  target('--user-name <NAME>', 'API user ($ISE_API_USER)');
  target('--password-stdin', 'read the password as one line on standard input (else the profile, else $ISE_API_PASS; never an argument)');
  target('--profile <NAME>', 'a named target in $OPENMNT_PROFILES (default ~/.config/openmnt/profiles.yaml); a file holding a password must be chmod 600');
  target('--insecure', 'accept a self-signed certificate');
  target('--timeout <SECONDS>', 'per request (default 30)');
  command.addOption(new Option('--format <FORMAT>', 'table, json (stable for scripts), csv or xml (default table)').choices(FORMATS).helpGroup(OUTPUT));
  command.addHelpText('after', `\nExit codes: 0 done (CoA acknowledged), 1 failed (CoA refused or unanswered, connection error),\n  2 usage error, 3 authentication or permission refused, 4 not found (no such session)\n`);
  return command;
}

/** The commands that run on a node's machine with its configuration, in the order the help lists them. */
export const NODE_COMMAND_NAMES = ['serve', 'admin', 'check-config', 'config-schema', 'db status', 'db migrate', 'completion'] as const;

/** The commands that speak HTTP to an MnT node, in the order the help lists them. */
export const CLIENT_COMMAND_NAMES = ['version', 'count', 'sessions', 'session', 'auth-status', 'acct-status', 'failure-reasons', 'delete', 'audit', 'coa', 'coa bulk'] as const;

const ACTIONS = ['reauth', 'disconnect', 'bounce', 'shutdown'] as const;
const REAUTH_TYPES = ['default', 'last', 'rerun'] as const;

/** Commander's camelCase names back to the long option names (`sessionId` → `session-id`). */
function byLongName(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v]));
}

export function buildProgram(actions: Actions, result: { code: number }): Command {
  const program = new OpenMntCommand('openmnt');
  program
    .description('open Monitoring-and-Troubleshooting node for RADIUS sessions')
    .version(VERSION, '-V, --version', "OpenMnT's version")
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .helpCommand('help [COMMAND]', 'this text, or the help of a command');

  const run = (work: () => Promise<number> | number) => async () => {
    result.code = await work();
  };

  program
    .command('serve')
    .usage('[--config FILE]')
    .summary('run the node: RADIUS listeners, session directory, MnT API')
    .description('Run the node: RADIUS listeners, session directory, MnT API. SIGHUP reads the configuration again; SIGTERM or SIGINT drains, then stops.')
    .option('-c, --config <FILE>', 'YAML configuration (default: $OPENMNT_CONFIG, else ./openmnt.yaml if present, else built-in defaults with a demo NAS 127.0.0.1 / testing123)')
    .action(async (options: { config?: string }) => {
      result.code = await actions.serve(options);
    });

  program
    .command('admin')
    .summary('admin accounts of the MnT API (add, passwd, list, remove; see openmnt admin --help)')
    .description('Admin accounts of the MnT API.')
    .usage('<add|passwd|list|remove> [NAME] [--role ROLE] [--groups G1,G2] [--config FILE]')
    .argument('[args...]')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      result.code = await actions.admin(args);
    });

  program
    .command('check-config')
    .usage('[--config FILE] [--quiet]')
    .summary('validate the configuration, print it with secrets masked')
    .description('Validate the configuration serve would use (file, then environment overrides) and print it as YAML with secrets masked. Exit 0 valid, 2 invalid or unreadable.')
    .option('-c, --config <FILE>', 'the file to check (default as for serve)')
    .option('-q, --quiet', 'print nothing when it is valid')
    .action(async (options: { config?: string; quiet?: boolean }) => {
      result.code = await actions.checkConfig(options);
    });

  program
    .command('config-schema')
    .summary('the JSON Schema of the configuration file, for editors')
    .description('Print the JSON Schema (draft-07) of openmnt.yaml, generated from the schema the node validates with.')
    .action(run(() => actions.configSchema()));

  program
    .command('completion')
    .usage('bash|zsh')
    .summary('a shell completion script (bash or zsh)')
    .description('Print a completion script for bash or zsh. bash: source <(openmnt completion bash); zsh: openmnt completion zsh > "${fpath[1]}/_openmnt".')
    .addArgument(new Argument('<SHELL>', 'bash or zsh').choices(['bash', 'zsh']))
    .action(async (shell: string) => {
      result.code = await actions.completion(shell);
    });

  const db = program
    .command('db')
    .usage('status|migrate [--config FILE]')
    .summary('the database schema: its version, and migrating it (openmnt db --help)')
    .description('The schema of the database the configuration names (SQLite or PostgreSQL).')
    .action(() => {
      // `openmnt db` alone is a mistake a script should see: its help, and a usage error.
      process.stderr.write(db.helpInformation());
      result.code = EXIT.usage;
    });
  db.command('status')
    .usage('[--config FILE]')
    .summary("the schema version the database holds, the one this OpenMnT expects, and whether it is behind or newer")
    .description(
      "Print the schema version the database holds, the version this OpenMnT expects, and whether migrations are pending. Changes nothing. Exit 0 current or behind, 1 when the database is newer than this OpenMnT (STORE_SCHEMA_NEWER) or cannot be read, 2 when the configuration is invalid.",
    )
    .option('-c, --config <FILE>', 'the node\'s configuration (default as for serve)')
    .action(async (options: { config?: string }) => {
      result.code = (await actions.db?.('status', options)) ?? 0;
    });
  db.command('migrate')
    .usage('[--config FILE]')
    .summary('apply the pending migrations and print the versions before and after')
    .description(
      'Apply the migrations this OpenMnT has and the database lacks, in one transaction (PostgreSQL: under the advisory lock starting nodes take, so it is safe beside them), and print the versions before and after. Refuses a database migrated by a newer OpenMnT (STORE_SCHEMA_NEWER), changing nothing. Needed before the nodes start when store.migrate is manual. Exit 0 migrated or already current, 1 failed, 2 invalid configuration.',
    )
    .option('-c, --config <FILE>', 'the node\'s configuration (default as for serve)')
    .action(async (options: { config?: string }) => {
      result.code = (await actions.db?.('migrate', options)) ?? 0;
    });

  // The runtime policy's commands parse their own words (an action, a subject, ATTRIBUTE=VALUE
  // pairs); the table lists them for the overview, completion and the man page.
  const policyCommand = (name: string, usage: string, summary: string) =>
    program
      .command(name)
      .usage(usage)
      .summary(summary)
      .description(`${summary}. OpenMnT only; the same target and credential options as the other client commands. openmnt ${name} --help for the details.`)
      .argument('[args...]')
      .helpOption(false)
      .allowUnknownOption()
      .passThroughOptions()
      .action(async (args: string[]) => {
        result.code = await actions.policy(name, args);
      });
  policyCommand('endpoint', 'set MAC [--group NAME] [--description TEXT] [ATTRIBUTE=VALUE ...] | get MAC', 'an endpoint of the runtime policy: its group and managed attributes (a change is enforced by CoA)');
  policyCommand('device', 'add NAME --address IP|CIDR [--vendor V] [--coa-port N] [--device-group G ...]', 'add a network device (the shared secret is read from standard input)');
  policyCommand('policy', 'export | import FILE [--format FORMAT] [--dry-run]', 'export or import the whole policy (JSON, clients.conf, ISE CSV exports, plain CSV)');

  program
    .command('dc')
    .usage('query "SQL" [--format table|json|csv] [--max-rows N] [--query-timeout SECONDS] [options]')
    .summary('SQL over the DataConnect views, in ISE Data Connect\'s Oracle dialect (openmnt dc --help)')
    .description('SQL over the DataConnect views (RADIUS_AUTHENTICATIONS, RADIUS_ACCOUNTING, COA_EVENTS, …), read-only, in the Oracle dialect of ISE Data Connect scripts. openmnt dc --help for the details.')
    .argument('[args...]')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      result.code = (await actions.dc?.(args)) ?? 0;
    });

  const client = (name: string, summary: string, description = summary) => {
    const command = program.command(name).summary(summary).description(description);
    return command;
  };
  const act = (command: Command, name: string) =>
    command.action(async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const values = byLongName(cmd.opts());
      const key = cmd.registeredArguments.length > 0 ? args[0] : undefined;
      if (typeof key === 'string') values.key = key;
      result.code = await actions.client(name, values);
    });

  act(addClientOptions(client('version', 'product, version and node type of the MnT node')), 'version');
  act(addClientOptions(client('count', 'active sessions')), 'count');
  act(
    addClientOptions(
      client('sessions', 'active sessions (ActiveList), filtered and paged', 'Active sessions (ActiveList), filtered and paged. Against OpenMnT the node filters and pages; against ISE the list is read as a stream and filtered as it passes.')
        .usage('[--nas IP] [--user NAME] [--mac MAC] [--page N --size N] [options]')
        .option('--nas <IP>', 'sessions of this NAS')
        .option('--user <NAME>', 'sessions of this user')
        .option('--mac <MAC>', 'sessions of this endpoint (any MAC spelling)')
        .option('--page <N>', 'page number, from 1')
        .option('--size <N>', 'sessions a page (default 50)'),
    ),
    'sessions',
  );
  act(
    addClientOptions(
      client('session', 'the latest session that matches (a bare MAC: openmnt session C8:5B:76:C6:59:62)')
        .usage('(MAC | --mac MAC | --ip NAS_IP | --user NAME | --endpoint-ip IP | --session-id ID) [options]')
        .argument('[MAC]', "the endpoint's MAC, as --mac")
        .option('--mac <MAC>', 'by endpoint MAC')
        .option('--ip <NAS_IP>', 'by NAS address (falls back to the endpoint address on OpenMnT)')
        .option('--user <NAME>', 'by user name')
        .option('--endpoint-ip <IP>', 'by endpoint address')
        .option('--session-id <ID>', 'by audit session id'),
    ),
    'session',
  );
  act(
    addClientOptions(
      client('auth-status', 'authentications of an endpoint, newest first (also: auth-logs)')
        .alias('auth-logs')
        .usage('(MAC | --mac MAC) [--seconds N] [--records N] [options]')
        .argument('[MAC]', "the endpoint's MAC, as --mac")
        .option('--mac <MAC>', 'the endpoint')
        .option('--seconds <N>', 'how far back, 1-864000 (default 3600)')
        .option('--records <N>', 'at most, 1-500 (default 50)'),
    ),
    'auth-status',
  );
  act(
    addClientOptions(
      client('acct-status', 'accounting of an endpoint')
        .usage('--mac MAC [--seconds N] [options]')
        .option('--mac <MAC>', 'the endpoint')
        .option('--seconds <N>', 'how far back, 1-432000 (default 900)'),
    ),
    'acct-status',
  );
  act(addClientOptions(client('failure-reasons', 'the failure reason catalogue')), 'failure-reasons');
  act(
    addClientOptions(
      client('delete', 'remove stale sessions from the active list (asks first)')
        .usage('(--all | --mac MAC | --session-id ID) [--yes] [options]')
        .option('--all', 'every active session')
        .option('--mac <MAC>', 'the sessions of an endpoint')
        .option('--session-id <ID>', 'one session by audit session id')
        .option('-y, --yes', 'do not ask'),
    ),
    'delete',
  );
  act(
    addClientOptions(
      client('audit', "OpenMnT's CoA audit log")
        .usage('[--mac MAC] [--nas IP] [--outcome ack|nak|timeout|refused] [--since TIME] [--limit N] [options]')
        .option('--mac <MAC>', 'of an endpoint')
        .option('--nas <IP>', 'sent to a NAS')
        .addOption(new Option('--outcome <OUTCOME>', 'what the NAS answered').choices(['ack', 'nak', 'timeout', 'refused']))
        .option('--since <TIME>', 'ISO 8601 or epoch milliseconds')
        .option('--limit <N>', 'at most, 1-10000 (default 50)'),
    ),
    'audit',
  );
  const coa = addClientOptions(
    client(
      'coa',
      'Change of Authorization for one endpoint',
      'Change of Authorization. --ip and --user are resolved through the session; disconnect, bounce and shutdown ask for confirmation unless --yes; --verify (reauth) waits up to --verify-timeout seconds for the endpoint to come back and shows the session before and after. Exit 0 only when the NAS acknowledged.',
    )
      .usage('(--mac MAC | --ip ENDPOINT_IP | --user NAME) [--action ACTION] [--type TYPE] [--verify [--verify-timeout SECONDS]] [--yes] [options]')
      .option('--mac <MAC>', 'the endpoint')
      .option('--ip <ENDPOINT_IP>', 'the endpoint by its address (through its session)')
      .option('--user <NAME>', 'the endpoint by its user (through its session)')
      .addOption(new Option('--action <ACTION>', 'what to do (default reauth)').choices(ACTIONS))
      .addOption(new Option('--type <TYPE>', 'reauthentication type (default default)').choices(REAUTH_TYPES))
      .option('-y, --yes', 'do not ask')
      .option('--verify', 'wait for the endpoint to come back (reauth)')
      .option('--verify-timeout <SECONDS>', 'how long --verify waits (default 10)'),
  );
  act(coa, 'coa');
  coa.enablePositionalOptions();
  const bulk = addClientOptions(
    coa
      .command('bulk')
      .summary('the same for many endpoints, paced')
      .description(
        'Change of Authorization for many endpoints (MACs one per line in FILE or on stdin). Asks before acting unless --yes; progress with rate and ETA on a terminal, a line per endpoint otherwise, then ACK / NAK / timeout counts. Against OpenMnT this runs as a server job; against ISE the CLI loops with the same pacing (--policy needs OpenMnT).',
      )
      .usage('(--nas IP | --user NAME | --policy NAME | --file FILE | --stdin) [--action ACTION] [--type TYPE] [--rate N] [--concurrency N] [--dry-run] [--yes] [options]')
      .option('--nas <IP>', 'the sessions of a NAS')
      .option('--user <NAME>', 'the sessions of a user')
      .option('--policy <NAME>', 'the sessions an authorization policy matched (OpenMnT)')
      .option('--file <FILE>', 'MACs, one per line (# comments)')
      .option('--stdin', 'MACs on standard input')
      .option('--rate <N>', 'CoAs per second per NAS (default no limit)')
      .option('--concurrency <N>', 'in flight per NAS (default 10)')
      .option('--dry-run', 'list the endpoints, send nothing')
      .option('-y, --yes', 'do not ask')
      .addOption(new Option('--action <ACTION>', 'what to do (default reauth)').choices(ACTIONS))
      .addOption(new Option('--type <TYPE>', 'reauthentication type (default default)').choices(REAUTH_TYPES)),
  );
  act(bulk, 'coa bulk');

  for (const command of allCommands(program)) {
    command.exitOverride();
    command.configureOutput({
      // Commander's own errors in our shape: `openmnt sessions: …` on standard error, exit 2.
      outputError: (text, write) => write(text.replace(/^error: /, `openmnt${(command as OpenMntCommand).commandPath() ? ` ${(command as OpenMntCommand).commandPath()}` : ''}: `)),
    });
  }
  return program;
}

/** Every command of the tree, depth first. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => allCommands(c))];
}

/** Parses and runs `argv`; the exit code. Usage errors are 2, help and --version 0. */
export async function runProgram(argv: string[], actions: Actions): Promise<number> {
  const result = { code: EXIT.ok as number };
  const program = buildProgram(actions, result);
  program.helpInformation = () => overview(program);
  if (argv.length === 0) {
    // `openmnt` alone: the overview, and a usage error for scripts that forgot the command.
    process.stdout.write(program.helpInformation());
    return EXIT.usage;
  }
  if (argv[0] === 'help' && argv[1] !== undefined && !program.commands.some((c) => c.name() === argv[1] || c.aliases().includes(argv[1]!))) {
    // Commander would print the overview with exit 0; a help topic that does not exist is a mistake.
    const similar = closest(argv[1], program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
    process.stderr.write(`openmnt: unknown command '${argv[1]}'${similar === null ? '' : `\n(Did you mean ${similar}?)`}\n`);
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code)) return EXIT.ok;
    return EXIT.usage;
  }
  return result.code;
}

/** The overview `openmnt --help` prints: the node's commands, then the client commands from the table. */
export function overview(program: Command): string {
  const line = (leftText: string, right: string) => {
    const pad = 42;
    // A long usage continues on lines of its own, indented under the command.
    const left = wrap(leftText.trim(), 98, /\([^)]*\)|\[[^\][]*(?:\[[^\]]*\][^\][]*)?\]|\S+/g).map((l, i) => (i === 0 ? `  ${l}` : `              ${l}`)).join('\n');
    const words = wrap(right, 100 - pad);
    const first = !left.includes('\n') && left.length + 2 <= pad ? `${left.padEnd(pad)}${words[0]}` : `${left}\n${' '.repeat(pad)}${words[0]}`;
    return [first, ...words.slice(1).map((w) => `${' '.repeat(pad)}${w}`)].join('\n');
  };
  const find = (path: string) => path.split(' ').reduce<Command>((c, n) => c.commands.find((x) => x.name() === n)!, program);
  const entry = (path: string) => {
    const c = find(path);
    const usage = c.usage().replace(/\s*\[options\]$/, '');
    return line(`  openmnt ${path}${usage === '' ? '' : ` ${usage}`}`, c.summary());
  };
  const node = NODE_COMMAND_NAMES.map(entry);
  return `openmnt — open Monitoring-and-Troubleshooting node for RADIUS sessions

Usage
${node.join('\n')}
${line('  openmnt help [COMMAND]', 'this text, or a command\'s own help (also openmnt COMMAND --help)')}
${line('  openmnt --version', "OpenMnT's version")}

Options of serve (and of check-config, db status, db migrate)
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

Client commands (any MnT node: OpenMnT or Cisco ISE; openmnt COMMAND --help for each one's options)

${CLIENT_COMMAND_NAMES.map(entry).join('\n')}

Policy and DataConnect commands (OpenMnT only; openmnt COMMAND --help for each one's words and options)

${['endpoint', 'device', 'policy', 'dc'].map(entry).join('\n')}

Target and credentials (flags first, then a profile, then the environment the cookbook uses)
  --host HOST[:PORT]    MnT node ($ISE_MNT_IP, else $ISE_PAN_FQDN); https:// unless http:// is given
  --user-name NAME      API user ($ISE_API_USER)
                        the password comes from --password-stdin (one line on standard input), the
                        profile, or $ISE_API_PASS; it is never taken as an argument, echoed or logged
  --profile NAME        a named target in $OPENMNT_PROFILES (default ~/.config/openmnt/profiles.yaml):
                          lab: { host: mnt.lab:443, user: ops, password: ..., insecure: true }
                        a file holding a password must be readable by its owner only (chmod 600)
  --insecure            accept a self-signed certificate
  --timeout SECONDS     per request (default 30)

Output
  --format table|json|csv|xml   (default table; json is stable for scripts)

Exit codes
  0 done (CoA acknowledged)   1 failed (CoA refused or unanswered, connection error)
  2 usage error   3 authentication or permission refused   4 not found (no such session)
`;
}

/** Closest candidate to a mistyped word (at most a third of it changed), or null. */
export function closest(word: string, candidates: readonly string[]): string | null {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        // A swap of two neighbours counts as one change (Damerau).
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
      }
    }
    return d[a.length]![b.length]!;
  };
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(word.replace(/^--/, '').length / 3)) + 1;
  for (const c of candidates) {
    const n = distance(word, c);
    if (n < bestDistance) [best, bestDistance] = [c, n];
  }
  return best;
}

/** Breaks text into lines of at most `width`, at the tokens `unit` finds (words by default). */
function wrap(text: string, width: number, unit = /\S+/g): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.match(unit) ?? ['']) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines;
}

const NO_ACTIONS: Actions = {
  serve: async () => 0,
  admin: async () => 0,
  checkConfig: async () => 0,
  configSchema: async () => 0,
  completion: async () => 0,
  client: async () => 0,
  policy: async () => 0,
};

/** The command tree alone, for what is generated from it (completion scripts, the man page). */
export function commandTable(): Command {
  const program = buildProgram(NO_ACTIONS, { code: 0 });
  program.helpInformation = () => overview(program);
  return program;
}

/** A command's own options, without the shared connection and output ones and --help. */
export function ownOptions(command: Command): Option[] {
  return command.options.filter((o) => !o.helpGroupHeading && o.long !== '--help' && o.long !== '--version');
}

/** The connection and output options every client command shares. */
export function sharedOptions(command: Command): Option[] {
  return command.options.filter((o) => o.helpGroupHeading !== undefined);
}
