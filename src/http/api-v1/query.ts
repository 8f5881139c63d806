/** Query-parameter readers for the JSON API: each bad value is a 400 that names the parameter. */
import { OpenMntError } from '../../errors.js';
import { integerArgument, ipArgument, macArgument } from '../mnt/calls.js';

export class QueryReader {
  readonly #q: URLSearchParams;

  /**
   * With `known`, a parameter outside it, or one given twice, is refused rather than ignored, so a
   * misspelt filter never silently answers everything.
   */
  constructor(q: URLSearchParams, known?: readonly string[]) {
    this.#q = q;
    if (known === undefined) return;
    for (const name of new Set(q.keys())) {
      if (!known.includes(name)) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} is not known here: use ${known.join(', ')}`);
      if (q.getAll(name).length > 1) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} is given more than once`);
    }
  }

  text(name: string): string | undefined {
    return this.#q.get(name) ?? undefined;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.text(name);
    if (v !== undefined && !allowed.includes(v as T)) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${v}' is not valid: one of ${allowed.join(', ')}`);
    return v as T | undefined;
  }

  /** Epoch milliseconds or an ISO 8601 time. */
  time(name: string): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const ms = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms)) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${v}' is not valid: epoch milliseconds or an ISO 8601 time`);
    return ms;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const v = this.text(name);
    return v === undefined ? undefined : integerArgument(v, `query parameter ${name}`, min, max);
  }

  mac(name: string): string | undefined {
    const v = this.text(name);
    return v === undefined ? undefined : macArgument(v, `query parameter ${name}`);
  }

  ip(name: string): string | undefined {
    const v = this.text(name);
    return v === undefined ? undefined : ipArgument(v, `query parameter ${name}`);
  }

  boolean(name: string): boolean | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${v}' is not valid: true or false`);
  }
}
