/** Accounting writes built directly for the store, for tests that need thousands of session events quickly. */
import type { AccountingWrite } from '../../src/store/index.js';

let clock = Date.now();

export function accountingStart(sid: string, mac: string, nasIp = '10.0.0.1', fields: Record<string, unknown> = {}): AccountingWrite {
  const at = (clock += 1);
  return {
    record: {
      receivedAt: at, nasIp, nasName: 'sw', statusType: 'Start', acctSessionId: sid, callingStationId: mac, userName: null,
      auditSessionId: null, framedIp: null, sessionTime: null, inputOctets: null, outputOctets: null, inputPackets: null,
      outputPackets: null, delayTime: null, eventTimestamp: null, terminateCause: null, server: 'node', attributes: '',
    },
    change: { kind: 'start', identity: { nasIp, acctSessionId: sid, callingStationId: mac }, at, startedAt: at, fields: { acctAt: at, ...fields } },
  };
}

/** `n` Starts of distinct sessions, `prefix` naming them. */
export function starts(prefix: string, n: number): AccountingWrite[] {
  return Array.from({ length: n }, (_, i) => accountingStart(`${prefix}-${i}`, `AA:BB:${hex(i >> 16)}:${hex(i >> 8)}:${hex(i)}:01`));
}

const hex = (n: number) => (n & 0xff).toString(16).padStart(2, '0').toUpperCase();
