/**
 * Tests that need a Debian tool (radclient, freeradius, chromium) skip loudly on a developer's
 * machine that lacks it, and fail under CI (CI=true), where `.ci/run` must have installed it.
 */
import { spawnSync } from 'node:child_process';

const seen = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let found = seen.get(name);
  if (found === undefined) {
    found = spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
    seen.set(name, found);
  }
  return found;
}

/** Returns a skip reason (for `test(name, { skip })`) or false when the tool is there.
 * Under CI a missing tool throws, failing the run. */
export function needTool(name: string, apt: string): string | false {
  if (hasTool(name)) return false;
  const message = `${name} is not installed (apt-get install -y ${apt}); tests that need it are SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`CI: ${message.replace('SKIPPED', 'required under CI')}`);
  console.warn(`\n!!! ${message} !!!\n`);
  return message;
}
