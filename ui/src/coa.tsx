// "Perform CoA": the per-row menu and what the toast says the NAS answered.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, request } from './api';
import { toast } from './toast';

export const COA_ACTIONS: { id: string; label: string }[] = [
  { id: 'reauth', label: 'Reauthenticate' },
  { id: 'reauth-last', label: 'Reauthenticate (last method)' },
  { id: 'reauth-rerun', label: 'Reauthenticate (rerun)' },
  { id: 'disconnect', label: 'Disconnect' },
  { id: 'bounce', label: 'Port bounce' },
  { id: 'shutdown', label: 'Port shutdown' },
];

interface CoaAnswer {
  acknowledged: boolean;
  outcome: 'ack' | 'nak' | 'timeout';
  nasIp: string;
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number;
  rttMs: number | null;
}

function label(action: string): string {
  return COA_ACTIONS.find((a) => a.id === action)?.label ?? action;
}

/** Sends one CoA and toasts what happened; resolves with the outcome (null when refused). */
export async function performCoa(mac: string, action: string): Promise<CoaAnswer['outcome'] | null> {
  try {
    const r = await request<CoaAnswer>('/api/v1/coa', { method: 'POST', body: { mac, action } });
    if (r.outcome === 'ack') toast('ok', `${label(action)} ${mac}: ACK from NAS ${r.nasIp} in ${r.rttMs ?? '?'} ms`);
    else if (r.outcome === 'nak') {
      const cause = r.errorCause === null ? 'no Error-Cause given' : `Error-Cause ${r.errorCause} ${r.errorCauseText ?? ''}`.trim();
      toast('error', `${label(action)} ${mac}: NAK from NAS ${r.nasIp}: ${cause}`);
    } else toast('error', `${label(action)} ${mac}: no answer from NAS ${r.nasIp} after ${r.attempts} tries`);
    return r.outcome;
  } catch (e) {
    if (e instanceof ApiError && e.code === 'SESSION_NOT_FOUND') {
      toast('error', `${label(action)} ${mac} refused: session data is not available — the endpoint is offline now (${e.message})`);
    } else toast('error', `${label(action)} ${mac} failed: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

/** The row's "Perform CoA" button and its menu, operable by keyboard (arrows, Escape). */
export function CoaMenu({ mac, onDone }: { mac: string; onDone?: (action: string, outcome: string | null) => void }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const menu = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) menu.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, [open]);
  const choose = async (action: string) => {
    setOpen(false);
    setBusy(true);
    const outcome = await performCoa(mac, action);
    setBusy(false);
    onDone?.(action, outcome);
    button.current?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      setOpen(false);
      button.current?.focus();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      items[(i + 1) % items.length]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      items[(i - 1 + items.length) % items.length]?.focus();
    }
  };
  return (
    <div class="coa">
      <button ref={button} type="button" aria-label="Perform CoA" aria-haspopup="menu" aria-expanded={open} disabled={busy} onClick={() => setOpen(!open)}>
        {busy ? 'Sending…' : 'Perform CoA ▾'}
      </button>
      {open && (
        <div ref={menu} role="menu" aria-label={`CoA for ${mac}`} class="menu" onKeyDown={onKey}>
          {COA_ACTIONS.map((a) => (
            <button key={a.id} type="button" role="menuitem" onClick={() => choose(a.id)}>
              {a.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
