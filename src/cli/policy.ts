/**
 * The policy commands: clients of the node's /api/v1 policy routes, like every other client
 * command (they speak only HTTP(S) to a node, with the same target and credential options).
 *
 *   openmnt endpoint set MAC [--group NAME] [--description TEXT] [ATTRIBUTE=VALUE ...]
 *   openmnt endpoint get MAC
 *   openmnt device add NAME --address IP|CIDR [--vendor cisco|aruba|rfc5176] [--coa-port N]
 *                          [--device-group GROUP ...]   (the shared secret: one line on standard input)
 *   openmnt policy export > policy.json
 *   openmnt policy import FILE [--format json|clients.conf|ise-network-devices|ise-endpoints|csv] [--dry-run]
 *
 * `endpoint set` prints the endpoint and what enforcement did; it exits 0 when nothing needed a
 * CoA or the NAS acknowledged it, 1 when the NAS refused or never answered.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CliError, EXIT, MntClient } from './client.js';
import { target, type Values } from './commands.js';

/** Where the node is and who asks: the same options as every client command (see program.ts). */
export const COMMON = {
  host: { type: 'string' },
  profile: { type: 'string' },
  'user-name': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  insecure: { type: 'boolean' },
  timeout: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const POLICY_COMMANDS = ['endpoint', 'device', 'policy'] as const;

export const POLICY_HELP = `Policy commands (OpenMnT only)
  openmnt endpoint set MAC [--group NAME] [--description TEXT] [ATTRIBUTE=VALUE ...]
  openmnt endpoint get MAC
  openmnt device add NAME --address IP|CIDR [--vendor V] [--coa-port N] [--device-group G ...]
                                          (shared secret read from standard input)
  openmnt policy export                   the whole policy as JSON (secrets included: keep it safe)
  openmnt policy import FILE [--format json|clients.conf|ise-network-devices|ise-endpoints|csv] [--dry-run]
`;

const OPTIONS = {
  ...COMMON,
  group: { type: 'string' },
  description: { type: 'string' },
  address: { type: 'string' },
  vendor: { type: 'string' },
  'coa-port': { type: 'string' },
  'device-group': { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
} as const;

/** An answer's JSON object, or an empty one when it is not JSON (the status then tells). */
export function jsonOf(body: string): Record<string, unknown> {
  try {
    const value = JSON.parse(body) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** One /api/v1 call answered in JSON; an error answer becomes a CliError with its message. */
async function call(client: MntClient, method: string, path: string, body?: string, contentType = 'application/json'): Promise<Record<string, unknown>> {
  void contentType;
  const answer = await client.request(method, `/api/v1${path}`, 'application/json', body);
  const json = jsonOf(answer.body);
  if (answer.status >= 400) {
    const message = typeof json.message === 'string' ? json.message : answer.body.slice(0, 200);
    throw new CliError(answer.status === 404 ? EXIT.notFound : answer.status < 500 ? EXIT.usage : EXIT.failed, `${answer.status}: ${message}`);
  }
  return json;
}

async function stdinText(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  return text;
}

export async function runPolicyCommand(command: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    process.stderr.write(`openmnt ${command}: ${(error as Error).message}\n\n${POLICY_HELP}`);
    return EXIT.usage;
  }
  if (values.help) {
    process.stdout.write(POLICY_HELP);
    return EXIT.ok;
  }
  const [action, subject, ...rest] = positionals;
  const usage = (message: string) => {
    process.stderr.write(`openmnt ${command}: ${message}\n\n${POLICY_HELP}`);
    return EXIT.usage;
  };
  try {
    const client = new MntClient(await target(values as Values, env));
    const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    if (command === 'endpoint' && action === 'set' && subject !== undefined) {
      const body: Record<string, unknown> = {};
      if (values.group !== undefined) body.group = values.group === '' ? null : values.group;
      if (values.description !== undefined) body.description = values.description;
      const attributes: Record<string, string | null> = {};
      for (const pair of rest) {
        const at = pair.indexOf('=');
        if (at <= 0) return usage(`'${pair}' is not ATTRIBUTE=VALUE`);
        attributes[pair.slice(0, at)] = pair.slice(at + 1) === '' ? null : pair.slice(at + 1);
      }
      if (Object.keys(attributes).length > 0) body.attributes = attributes;
      if (Object.keys(body).length === 0) return usage('endpoint set needs --group, --description or ATTRIBUTE=VALUE');
      const answer = await call(client, 'PATCH', `/endpoints/${encodeURIComponent(subject)}`, JSON.stringify(body));
      print(answer);
      const outcome = (answer.enforcement as { endpoint?: { outcome?: string } } | undefined)?.endpoint?.outcome;
      return outcome === undefined || outcome === 'ack' ? EXIT.ok : EXIT.failed;
    }
    if (command === 'endpoint' && action === 'get' && subject !== undefined) {
      print(await call(client, 'GET', `/endpoints/${encodeURIComponent(subject)}`));
      return EXIT.ok;
    }
    if (command === 'device' && action === 'add' && subject !== undefined) {
      if (values.address === undefined) return usage('device add needs --address');
      const secret = (await stdinText()).split(/\r?\n/)[0] ?? '';
      const body: Record<string, unknown> = { name: subject, address: values.address, secret };
      if (values.vendor !== undefined) body.vendor = values.vendor;
      if (values['coa-port'] !== undefined) body.coaPort = Number(values['coa-port']);
      if (values['device-group'] !== undefined) body.deviceGroups = values['device-group'];
      print(await call(client, 'POST', '/devices', JSON.stringify(body)));
      return EXIT.ok;
    }
    if (command === 'policy' && action === 'export') {
      print(await call(client, 'GET', '/policy/export'));
      return EXIT.ok;
    }
    if (command === 'policy' && action === 'import' && subject !== undefined) {
      const text = await readFile(subject, 'utf8');
      const q = new URLSearchParams({ format: String(values.format ?? 'json') });
      if (values['dry-run']) q.set('dryRun', 'true');
      print(await call(client, 'POST', `/policy/import?${q}`, text));
      return EXIT.ok;
    }
    return usage(`unknown use: ${[action, subject].filter(Boolean).join(' ') || '(nothing)'}`);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`openmnt ${command}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
