import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api.js";

/** An error as the console shows it: the problem's detail, its code and status. */
export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const detail = e ? e.problem.detail : error instanceof Error ? error.message : String(error);
  return (
    <div class="error-box" role="alert">
      <strong>{e?.status === 403 ? "Not allowed" : e?.status === 404 ? "Not found" : "Something went wrong"}</strong>
      <p>{detail}</p>
      {e?.problem.violations?.length ? (
        <ul>{e.problem.violations.map((v) => <li key={v.path}><code>{v.path || "/"}</code> {v.message}</li>)}</ul>
      ) : null}
      {e ? <small>code <code data-testid="error-code">{e.code}</code>{e.status ? <> · HTTP {e.status}</> : null}</small> : null}
      {onRetry ? <p><button type="button" class="secondary outline" onClick={onRetry}>Retry</button></p> : null}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Loading() {
  return <p aria-busy="true">Loading…</p>;
}

/** State → a coloured badge; the text stays the state's name. */
export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`} data-state={state}>{state}</span>;
}

/** why a Pending job waits (the job's pendingReason), in words */
export const PENDING_REASON_TEXT: Record<string, string> = {
  NoRobot: "No live robot serves its process",
  ConcurrencyLimit: "Its process's concurrency limit (or its key's) is reached",
  RetryBackoff: "A retry's backoff has not ended",
  Queued: "Queued behind older or higher-priority jobs",
};

/** a Pending job's reason, small next to its state badge */
export function PendingReason({ reason }: { reason: string | null | undefined }) {
  if (!reason) return null;
  return <small class="muted pending-reason" data-pending-reason={reason} title={PENDING_REASON_TEXT[reason] ?? reason}> {reason}</small>;
}

export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">–</span>;
  const d = new Date(at);
  return <time dateTime={at} title={at}>{d.toLocaleString()}</time>;
}

export function JsonView({ value, label }: { value: unknown; label?: string }) {
  return <pre class="json" aria-label={label}>{value === undefined ? "" : JSON.stringify(value, null, 2)}</pre>;
}

/** Copies the text to the clipboard, and says so (or says it could not). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState<string | null>(null);
  const say = (what: string) => {
    setDone(what);
    setTimeout(() => setDone(null), 2000);
  };
  // async: without a secure context `navigator.clipboard` is missing, and that throw becomes a
  // rejection too, which the button reports like a refused write
  const write = async () => navigator.clipboard.writeText(text);
  const copy = () => { write().then(() => say("Copied"), () => say("Copy failed: select the text and copy it")); };
  return (
    <button type="button" class="secondary outline small" onClick={copy} aria-live="polite">{done ?? label}</button>
  );
}

/** A secret shown once, at creation or rotation. */
export function SecretOnce({ title, value, onClose }: { title: string; value: string; onClose: () => void }) {
  return (
    <div class="secret" role="status">
      <strong>{title}</strong>
      <p>Copy it now: it is shown only once.</p>
      <div class="copy-row"><code data-testid="secret">{value}</code><CopyButton text={value} /></div>
      <button type="button" class="secondary" onClick={onClose}>Done</button>
    </div>
  );
}

/**
 * Loads with `load` now and whenever `deps` change; `reload` loads again keeping the shown
 * data (no flicker on live updates).
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const run = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    loadRef.current().then(
      (value) => { if (mine === generation.current) { setData(value); setError(null); setLoading(false); } },
      (err: unknown) => { if (mine === generation.current) { setError(err); setLoading(false); } },
    );
  }, []);
  useEffect(run, deps);
  return { data, error, loading, reload: run };
}

/**
 * Runs an action for a form or a button, keeping its error and whether it is running. `run`
 * is an event handler's: it returns at once, and then `onDone` gets the action's value if it
 * succeeded; a failure of the action, or of `onDone`, lands in `error` for the page's ErrorBox
 * (a handler returning a promise would leave its rejection to nobody).
 */
export function useAction(): { busy: boolean; error: unknown; run: <T>(action: () => Promise<T>, onDone?: (value: T) => void) => void; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = <T,>(action: () => Promise<T>, onDone?: (value: T) => void): void => {
    setBusy(true);
    setError(null);
    const go = async () => {
      let value: T;
      try {
        value = await action();
      } finally {
        setBusy(false);
      }
      onDone?.(value);
    };
    go().catch((err: unknown) => setError(err));
  };
  return { busy, error, run, clear: () => setError(null) };
}

export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error(`${what} must be a JSON object.`);
  return value as Record<string, unknown>;
}

/**
 * A button that asks again: the first click turns it into "`confirmLabel`" (and a "Keep it"
 * to back out); only the second click runs `onConfirm`. For what cannot be undone (revoke,
 * delete, kill). `onConfirm` returns nothing: an async one starts its work with `useAction().run`,
 * which shows its failure (a returned promise here would have no one to report it).
 */
export function ConfirmButton({ label, confirmLabel, onConfirm, disabled, small, title, keepLabel = "Keep it" }: {
  label: string; confirmLabel: string; onConfirm: () => void; disabled?: boolean; small?: boolean; title?: string; keepLabel?: string;
}) {
  const [asking, setAsking] = useState(false);
  const size = small ? " small" : "";
  if (!asking) return <button type="button" class={`secondary outline${size}`} onClick={() => setAsking(true)} disabled={disabled} title={title}>{label}</button>;
  return (
    <>
      <button type="button" class={`danger${size}`} onClick={() => { setAsking(false); onConfirm(); }} disabled={disabled}>{confirmLabel}</button>
      <button type="button" class={`secondary outline${size}`} onClick={() => setAsking(false)}>{keepLabel}</button>
    </>
  );
}

/** The time now, again every `everyMs` while `active` (a running job's duration). */
export function useNow(everyMs: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs, active]);
  return now;
}

/** 850 ms, 4.2 s, 3 min 05 s, 2 h 10 min */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}
