/**
 * `openmnt admin ...`: the admin accounts of the MnT API. Passwords are never taken from the command
 * line (other users can read it in `ps`): they are prompted for without echo on a terminal, or read
 * as one line from standard input in scripts.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { defaultConfigFile, loadConfig } from '../config.js';
import { isOpenMntError } from '../errors.js';
import { AdminDirectory, DELEGATED_ROLE, ROLES, ROLE_NAMES, checkPasswordStrength, parseRole } from '../http/index.js';

export const ADMIN_HELP = `openmnt admin — admin accounts of the MnT API

Usage
  openmnt admin add <name> [--role ROLE] [--groups G1,G2]
                                           create an account (password prompted, or read from stdin)
  openmnt admin passwd <name>              set a new password
  openmnt admin list                       name, role, created, password changed
  openmnt admin remove <name>              delete an account (not the last Super Admin)

Options
  -c, --config FILE   configuration whose api.adminsFile holds the accounts
                      (default: $OPENMNT_CONFIG, else ./openmnt.yaml if present, else data/admins.json)
  -r, --role ROLE     ${[...ROLES, DELEGATED_ROLE].join(' | ')} (default mnt-admin)
                      super-admin, system-admin: everything; mnt-admin: read, CoA and Session/Delete;
                      helpdesk-admin: read only; delegated-admin: the endpoints of its --groups
                      only (list, add, change attributes, revoke), never CoA
  -g, --groups LIST   with delegated-admin: the endpoint identity groups it manages, comma separated
  -h, --help          this text

Passwords have at least 8 characters. On a terminal they are asked twice without echo; otherwise
the first line of standard input is the password (e.g. printf '%s\\n' "$PASS" | openmnt admin add ops).

Exit codes
  0 done   1 failed (exists, not found, weak password, last Super Admin)   2 usage error
`;

async function readPassword(prompt: boolean): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const rl = createInterface({ input: stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(question);
      let value = '';
      stdin.setRawMode(true);
      stdin.resume();
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') process.exit(130);
          if (ch === '\u007f') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  const first = await ask('Password: ');
  if (!prompt) return first;
  const second = await ask('Repeat password: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

export async function admin(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, role: { type: 'string', short: 'r' }, groups: { type: 'string', short: 'g' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`openmnt admin: ${(error as Error).message}\n\n${ADMIN_HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, name, ...extra] = positionals;
  if (values.help) {
    process.stdout.write(ADMIN_HELP);
    return 0;
  }
  const needsName = action === 'add' || action === 'passwd' || action === 'remove';
  if (action === undefined || !['add', 'passwd', 'list', 'remove'].includes(action) || (needsName && name === undefined) || (!needsName && name !== undefined) || extra.length > 0) {
    process.stderr.write(`openmnt admin: ${action === undefined ? 'missing action' : `cannot do "${positionals.join(' ')}"`}\n\n${ADMIN_HELP}`);
    return 2;
  }
  if ((values.role !== undefined || values.groups !== undefined) && action !== 'add') {
    process.stderr.write('openmnt admin: --role and --groups only go with add\n');
    return 2;
  }
  try {
    // The same file serve would read, so the accounts land where the node looks for them.
    const file = values.config || defaultConfigFile();
    const config = loadConfig(file === undefined ? {} : { file });
    const directory = AdminDirectory.open(config.api.adminsFile, { cost: config.api.passwordHashCost });
    switch (action) {
      case 'list': {
        const rows = directory.list().map((a) => [a.name, `${ROLE_NAMES[a.role]}${a.groups !== undefined && a.groups.length > 0 ? ` (${a.groups.join(', ')})` : ''}`, a.createdAt.slice(0, 19).replace('T', ' '), a.passwordChangedAt.slice(0, 19).replace('T', ' ')]);
        const table = [['NAME', 'ROLE', 'CREATED (UTC)', 'PASSWORD CHANGED (UTC)'], ...rows];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
        for (const row of table) process.stdout.write(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
        return 0;
      }
      case 'add': {
        const role = parseRole(values.role ?? 'mnt-admin');
        const groups = (values.groups ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
        if (role === DELEGATED_ROLE && groups.length === 0) {
          process.stderr.write('openmnt admin add: a delegated-admin needs --groups (the endpoint groups it manages)\n');
          return 2;
        }
        if (role !== DELEGATED_ROLE && groups.length > 0) {
          process.stderr.write('openmnt admin add: --groups goes only with --role delegated-admin\n');
          return 2;
        }
        const password = await readPassword(true);
        checkPasswordStrength(password);
        await directory.add(name!, password, role, groups);
        process.stdout.write(`added ${name} (${ROLE_NAMES[role]}${groups.length > 0 ? ` of ${groups.join(', ')}` : ''})\n`);
        return 0;
      }
      case 'passwd': {
        const password = await readPassword(true);
        await directory.passwd(name!, password);
        process.stdout.write(`password of ${name} changed\n`);
        return 0;
      }
      default: {
        await directory.remove(name!);
        process.stdout.write(`removed ${name}\n`);
        return 0;
      }
    }
  } catch (error) {
    if (isOpenMntError(error) || error instanceof Error) {
      process.stderr.write(`openmnt admin ${action}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
