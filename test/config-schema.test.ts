/**
 * The configuration schema: the JSON Schema editors use is generated from the one the loader checks
 * with, the committed copy is current, and the documented example passes it. Also what the loader
 * refuses because the schema knows better than a silent fallback.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.js';
import { configJsonSchema, KNOWN_VENDORS } from '../src/config-schema.js';
import { RECIPES } from '../src/coa/recipes.js';
import { isOpenMntError } from '../src/errors.js';
import { openmnt } from './helpers/run.js';

const committed = JSON.parse(readFileSync('openmnt.schema.json', 'utf8')) as Record<string, unknown>;
const validator = new Ajv({ allErrors: true, strict: false }).compile(committed);

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'openmnt-schema-')), 'openmnt.yaml');
  writeFileSync(file, text);
  return file;
}

test('openmnt.schema.json is what the code generates, and openmnt config-schema prints it', async () => {
  assert.deepEqual(committed, configJsonSchema(), 'regenerate: node bin/openmnt.js config-schema > openmnt.schema.json');
  const printed = await openmnt(['config-schema'], {});
  assert.equal(printed.status, 0, printed.stderr);
  assert.equal(printed.stdout, readFileSync('openmnt.schema.json', 'utf8'));
});

test('openmnt.example.yaml names the schema for editors and passes it', () => {
  const text = readFileSync('openmnt.example.yaml', 'utf8');
  assert.match(text, /^# yaml-language-server: \$schema=\.\/openmnt\.schema\.json$/m);
  const ok = validator(parse(text));
  assert.ok(ok, JSON.stringify(validator.errors, null, 2));
});

test('the JSON Schema flags what the loader refuses: a misspelt vendor, a bad MAC, a stray key, a bad transport', () => {
  const cases: [string, RegExp][] = [
    ['radius:\n  clients:\n    - { address: 10.0.0.1, secret: x, vendor: junper }\n', /vendor/],
    ['auth:\n  endpoints:\n    - { mac: 00-11-22-33-44-5G }\n', /mac/],
    ['radius:\n  acct: { port: 1 }\n', /additionalProperties|acct/],
    ['log:\n  syslog:\n    - { host: h, port: 514, transport: carrier-pigeon }\n', /transport/],
  ];
  for (const [text, where] of cases) {
    assert.equal(validator(parse(text)), false, text);
    assert.match(JSON.stringify(validator.errors), where, text);
  }
  assert.equal(validator(parse('radius:\n  clients:\n    - { address: 10.0.0.1, secret: x, vendor: Aruba }\n')), true, 'vendor names in any case, as the loader takes them');
});

test('the known vendors are the ones with CoA recipes; a vendor in another case is taken', () => {
  assert.deepEqual([...KNOWN_VENDORS], Object.keys(RECIPES));
  const config = loadConfig({ file: yamlFile('radius:\n  clients:\n    - { address: 10.0.0.1, secret: 1234, vendor: Aruba }\n'), env: {} });
  assert.equal(config.radius.clients[0]!.vendor, 'aruba');
  assert.equal(config.radius.clients[0]!.secret, '1234');
  assert.equal(config.radius.clients[0]!.name, '10.0.0.1', 'the name defaults to the address');
  assert.throws(
    () => loadConfig({ file: yamlFile('radius:\n  clients:\n    - { address: 10.0.0.1, secret: x, vendor: junper }\n'), env: {} }),
    (e: unknown) => isOpenMntError(e) && e.code === 'CONFIG_INVALID' && e.message === `radius.clients[0].vendor must be one of ${KNOWN_VENDORS.join(', ')}`,
  );
});

test('a profile named in auth: that auth.profiles lacks stops the start, wherever it is named', () => {
  for (const [text, path] of [
    ['auth:\n  groups:\n    - { name: Staff, profile: Emplyee }\n', 'auth.groups[0].profile'],
    ['auth:\n  endpoints:\n    - { mac: "001122334455", profile: Emplyee }\n', 'auth.endpoints[0].profile'],
    ['auth:\n  users:\n    - { name: bob, password: p, profile: Emplyee }\n', 'auth.users[0].profile'],
    ['auth:\n  defaultProfile: Emplyee\n', 'auth.defaultProfile'],
  ] as const) {
    assert.throws(
      () => loadConfig({ file: yamlFile(text), env: {} }),
      (e: unknown) => isOpenMntError(e) && e.message.startsWith(`${path} must be the name of a profile in auth.profiles (PermitAccess, DenyAccess)`),
      text,
    );
  }
});

test('a bare all-digit MAC that YAML read as a number is refused with the way out', () => {
  assert.throws(
    () => loadConfig({ file: yamlFile('auth:\n  endpoints:\n    - { mac: 001122334455 }\n'), env: {} }),
    (e: unknown) => isOpenMntError(e) && /^auth\.endpoints\[0\]\.mac must be a MAC address .* in quotes \(YAML read this one as the number 1122334455\)$/.test(e.message),
  );
});

test('several problems: the first is named, the others counted', () => {
  assert.throws(
    () => loadConfig({ file: yamlFile('radius:\n  clients:\n    - { address: 10.0.0.1, secret: x, vendor: junper, colour: red }\n'), env: {} }),
    (e: unknown) => isOpenMntError(e) && /^radius\.clients\[0\]\.vendor must be one of .* \(and 1 more: radius\.clients\[0\]\.colour must be one of name, address, secret, vendor, coaPort, requireMessageAuthenticator, deviceGroups\)$/.test(e.message),
  );
});
