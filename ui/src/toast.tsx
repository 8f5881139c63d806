// Toasts: what an action came to, in words. Successes are announced politely (role="status"),
// failures at once (role="alert"), so a screen reader user hears what the NAS answered too.
import { useEffect, useState } from 'preact/hooks';

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

let next = 1;
let toasts: Toast[] = [];
const listeners = new Set<(t: Toast[]) => void>();

function publish(): void {
  for (const l of listeners) l(toasts);
}

export function toast(kind: Toast['kind'], text: string): void {
  const t = { id: next++, kind, text };
  toasts = [...toasts, t].slice(-5);
  publish();
  setTimeout(() => dismiss(t.id), kind === 'ok' ? 8000 : 15000);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  publish();
}

export function Toasts() {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => void listeners.delete(setList);
  }, []);
  return (
    <div class="toasts">
      <div role="status" aria-live="polite">
        {list.filter((t) => t.kind === 'ok').map((t) => (
          <div key={t.id} class="toast ok">
            <span>{t.text}</span>
            <button type="button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>×</button>
          </div>
        ))}
      </div>
      <div role="alert" aria-live="assertive">
        {list.filter((t) => t.kind === 'error').map((t) => (
          <div key={t.id} class="toast error">
            <span>{t.text}</span>
            <button type="button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>×</button>
          </div>
        ))}
      </div>
    </div>
  );
}
