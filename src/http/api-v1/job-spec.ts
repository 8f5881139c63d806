/** The body of a bulk CoA job request, checked field by field (a bad one is a 400 naming it). */
import { OpenMntError } from '../../errors.js';
import type { CoaAction } from '../../coa/types.js';
import type { JobSelector, JobSpec, Pacing } from '../../coa/jobs.js';
import { ipArgument, macArgument } from '../mnt/calls.js';

const REAUTH: readonly string[] = ['default', 'last', 'rerun'];
const DISCONNECT: readonly string[] = ['default', 'bounce', 'shutdown'];

/** MACs checked between two yields to the event loop: a list of 100,000 is checked in slices. */
const MAC_SLICE = 5000;

/**
 * A job request: `{"selector": {...}, "action": "reauth", "type": "default", "dryRun", "pacing",
 * "verifySeconds"}`. Asynchronous only so that a long MAC list is checked a slice at a time.
 */
export async function parseJobSpec(body: unknown): Promise<JobSpec & { dryRun: boolean }> {
  const bad = (what: string): never => {
    throw new OpenMntError('INVALID_ARGUMENT', `job: ${what}`);
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!['selector', 'action', 'type', 'dryRun', 'pacing', 'verifySeconds'].includes(key)) bad(`unknown field ${key}`);
  const sel = b.selector;
  if (typeof sel !== 'object' || sel === null || Array.isArray(sel)) bad('selector must be an object');
  const s = sel as Record<string, unknown>;
  const selector: JobSelector = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === 'macs') {
      if (!Array.isArray(value) || value.some((m) => typeof m !== 'string')) bad('selector.macs must be a list of MAC addresses');
      const macs: string[] = new Array<string>((value as string[]).length);
      for (let i = 0; i < macs.length; i++) {
        if (i > 0 && i % MAC_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        macs[i] = macArgument((value as string[])[i]!, `selector.macs entry ${i + 1}`);
      }
      selector.macs = macs;
    } else if (key === 'nasIp') {
      selector.nasIp = ipArgument(String(value), 'selector.nasIp');
    } else if (['userName', 'identityGroup', 'authzProfile', 'policy'].includes(key)) {
      if (typeof value !== 'string' || value === '') bad(`selector.${key} must be a non-empty string`);
      selector[key as 'userName'] = value as string;
    } else {
      bad(`unknown selector ${key} (use nasIp, userName, identityGroup, authzProfile, policy, macs)`);
    }
  }
  const action = b.action;
  const type = b.type ?? 'default';
  if (action !== 'reauth' && action !== 'disconnect') bad('action must be reauth or disconnect');
  const types = action === 'reauth' ? REAUTH : DISCONNECT;
  if (typeof type !== 'string' || !types.includes(type)) bad(`type of ${String(action)} must be one of ${types.join(', ')}`);
  const pacing: Partial<Pacing> = {};
  if (b.pacing !== undefined) {
    if (typeof b.pacing !== 'object' || b.pacing === null) bad('pacing must be an object');
    for (const [key, value] of Object.entries(b.pacing as Record<string, unknown>)) {
      if (!['perNasInFlight', 'perNasPerSecond', 'globalInFlight', 'globalPerSecond'].includes(key)) bad(`unknown pacing ${key}`);
      const min = key.endsWith('InFlight') ? 1 : 0;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 100_000) bad(`pacing.${key} must be a whole number from ${min} to 100000`);
      pacing[key as keyof Pacing] = value as number;
    }
  }
  const verify = b.verifySeconds;
  if (verify !== undefined && (typeof verify !== 'number' || !Number.isInteger(verify) || verify < 1 || verify > 300)) bad('verifySeconds must be a whole number from 1 to 300');
  if (b.dryRun !== undefined && typeof b.dryRun !== 'boolean') bad('dryRun must be true or false');
  return {
    selector,
    action: (action === 'reauth' ? { action, type } : { action, type }) as CoaAction,
    pacing,
    verifyTimeoutMs: verify === undefined ? null : (verify as number) * 1000,
    dryRun: b.dryRun === true,
  };
}
