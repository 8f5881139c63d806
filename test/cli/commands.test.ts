/**
 * The command table: per-command help, refusal of options a command does not take (exit 2, with a
 * suggestion), did-you-mean for commands, --version, completion scripts and the man page, all
 * from the built binary. No node is needed: these are answered before any connection.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { manPage } from '../../src/cli/man.js';
import { CLIENT_COMMAND_NAMES } from '../../src/cli/program.js';
import { openmnt, run } from '../helpers/run.js';
import { hasTool, needTool } from '../helpers/tools.js';

const cli = (args: string[]) => openmnt(args, {});

test('each command has its own --help: its options, the shared ones in their group, its usage', async () => {
  const sessions = await cli(['sessions', '--help']);
  assert.equal(sessions.status, 0);
  assert.match(sessions.stdout, /^Usage: openmnt sessions \[--nas IP\] \[--user NAME\] \[--mac MAC\]/);
  for (const o of ['--nas <IP>', '--user <NAME>', '--mac <MAC>', '--page <N>', '--size <N>', '--host <HOST[:PORT]>', '--format <FORMAT>']) assert.ok(sessions.stdout.includes(o), o);
  assert.match(sessions.stdout, /Target and credentials .*:\n\s+--host/);
  assert.ok(!sessions.stdout.includes('--verify'), 'no option of another command');
  const coa = await cli(['coa', '--help']);
  assert.match(coa.stdout, /--verify-timeout <SECONDS>/);
  assert.match(coa.stdout, /--action <ACTION>.*\n?.*reauth.*disconnect.*bounce.*shutdown/s);
  const bulk = await cli(['coa', 'bulk', '--help']);
  assert.match(bulk.stdout, /^Usage: openmnt coa bulk /);
  assert.match(bulk.stdout, /--rate <N>/);
  assert.equal((await cli(['help', 'sessions'])).stdout, sessions.stdout, 'openmnt help COMMAND is the same');
  const check = await cli(['check-config', '--help']);
  assert.match(check.stdout, /-q, --quiet/);
  const admin = await cli(['admin', '--help']);
  assert.match(admin.stdout, /^openmnt admin — admin accounts of the MnT API/);
});

test('an option the command does not take is a usage error (exit 2) naming what it takes, with a suggestion', async () => {
  const count = await cli(['count', '--verify', '--rate', '5']);
  assert.deepEqual([count.status, count.stdout], [2, '']);
  assert.equal(count.stderr, 'openmnt count does not take --verify (it takes no options of its own, and the connection and --format options)\n');
  const typo = await cli(['sessions', '--naz', '10.1.1.1']);
  assert.equal(typo.status, 2);
  assert.equal(typo.stderr, 'openmnt sessions does not take --naz (it takes --nas, --user, --mac, --page, --size, and the connection and --format options)\n(Did you mean --nas?)\n');
  const bulkOnly = await cli(['coa', '--mac', '00:11:22:33:44:00', '--rate', '5']);
  assert.equal(bulkOnly.status, 2);
  assert.match(bulkOnly.stderr, /^openmnt coa does not take --rate \(it takes --mac, --ip, --user, --action, --type, --yes, --verify, --verify-timeout/);
  const bulk = await cli(['coa', 'bulk', '--nas', '10.1.1.1', '--verify']);
  assert.equal(bulk.status, 2);
  assert.match(bulk.stderr, /^openmnt coa bulk does not take --verify/);
  const serve = await cli(['serve', '--nas', '1']);
  assert.equal(serve.status, 2);
  assert.match(serve.stderr, /^openmnt serve does not take --nas \(it takes --config\)/);
  const choice = await cli(['sessions', '--format', 'yaml']);
  assert.equal(choice.status, 2);
  assert.match(choice.stderr, /^openmnt sessions: option '--format <FORMAT>' argument 'yaml' is invalid\. Allowed choices are table, json, csv, xml\./);
});

test('a mistyped command: exit 2 and did-you-mean; no command: the overview and exit 2', async () => {
  const r = await cli(['sesions']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "openmnt: unknown command 'sesions'\n(Did you mean sessions?)\n");
  assert.match((await cli(['auth-stauts'])).stderr, /Did you mean auth-status\?/);
  const topic = await cli(['help', 'sesions']);
  assert.deepEqual([topic.status, topic.stdout, topic.stderr], [2, '', "openmnt: unknown command 'sesions'\n(Did you mean sessions?)\n"]);
  const none = await cli([]);
  assert.equal(none.status, 2);
  assert.match(none.stdout, /^openmnt — open Monitoring-and-Troubleshooting node/);
});

test('--version prints the package version', async () => {
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-V']) assert.deepEqual(await cli([flag]), { status: 0, stdout: `${version}\n`, stderr: '' });
});

test('openmnt --help lists every client command and the new spellings', async () => {
  const r = await cli(['--help']);
  assert.equal(r.status, 0);
  for (const c of CLIENT_COMMAND_NAMES) assert.ok(r.stdout.includes(`  openmnt ${c}`), c);
  for (const s of ['auth-logs', 'session C8:5B:76:C6:59:62', 'openmnt completion bash|zsh', 'openmnt --version', 'openmnt config-schema']) assert.ok(r.stdout.includes(s), s);
});

const COMMANDS = ['serve', 'admin', 'check-config', 'config-schema', 'db', 'completion', 'version', 'count', 'sessions', 'session', 'auth-status', 'auth-logs', 'acct-status', 'failure-reasons', 'delete', 'audit', 'coa'];

test('bash completion: valid bash (bash -n), names every command, completes options and values', async () => {
  const r = await cli(['completion', 'bash']);
  assert.equal(r.status, 0, r.stderr);
  const file = join(mkdtempSync(join(tmpdir(), 'openmnt-completion-')), 'openmnt.bash');
  writeFileSync(file, r.stdout);
  const syntax = await run('bash', ['-n', file]);
  assert.equal(syntax.status, 0, syntax.stderr);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`[' ]${c}[' ]`), c);
  const complete = async (...words: string[]) =>
    (await run('bash', ['-c', `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _openmnt; echo "\${COMPREPLY[*]}"`])).stdout.trim();
  assert.equal(await complete('openmnt', 'sess'), 'sessions session');
  assert.equal(await complete('openmnt', 'sessions', '--n'), '--nas');
  assert.equal(await complete('openmnt', 'coa', 'bulk', '--ra'), '--rate');
  assert.equal(await complete('openmnt', 'db', ''), '--help status migrate');
  assert.equal(await complete('openmnt', 'db', 'migrate', '--c'), '--config');
  assert.equal(await complete('openmnt', 'coa', '--action', ''), 'reauth disconnect bounce shutdown');
  assert.equal(await complete('openmnt', 'count', '--format', 'j'), 'json');
});

test('zsh completion: valid zsh (zsh -n), names every command', { skip: needTool('zsh', 'zsh') }, async () => {
  const r = await cli(['completion', 'zsh']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^#compdef openmnt\n/);
  const file = join(mkdtempSync(join(tmpdir(), 'openmnt-completion-')), '_openmnt');
  writeFileSync(file, r.stdout);
  const syntax = await run('zsh', ['-n', file]);
  assert.equal(syntax.status, 0, syntax.stderr);
  for (const c of COMMANDS) assert.ok(r.stdout.includes(`'${c}:`), c);
  assert.match(r.stdout, /\('coa bulk'\)[\s\S]*'--rate\[/);
});

test('completion for another shell is a usage error', async () => {
  const r = await cli(['completion', 'fish']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Allowed choices are bash, zsh/);
});

test('man/openmnt.1 is generated from the command table and current; it is packed', async () => {
  assert.equal(readFileSync('man/openmnt.1', 'utf8'), manPage(), 'regenerate: npm run man');
  const page = manPage();
  for (const c of COMMANDS) assert.ok(page.includes(`.SS "openmnt ${c.replace(/-/g, '\\-')}`) || page.includes(`openmnt ${c.replace(/-/g, '\\-')}`), c);
  assert.ok(page.includes('\\-\\-verify\\-timeout'), 'options are listed');
  assert.ok((JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] }).files.includes('man'));
  if (hasTool('groff')) {
    const rendered = await run('groff', ['-man', '-Tutf8', '-ww', '-z', 'man/openmnt.1']);
    assert.equal(rendered.stderr, '', 'groff finds nothing to warn about');
  }
});
