import { useEffect, useRef } from "preact/hooks";
import { apiBase } from "./api.js";

/**
 * Server-Sent Events from `…/api/v1/events`: an `event: jobs` says jobs of the tenant
 * changed; each live view then reads what it shows again through the API. EventSource
 * reconnects by itself after a dropped connection; an answer that is not a stream (the
 * session ended, a node restarting) closes it, and we open a new one a little later.
 */
type Listener = () => void;
const listeners = new Set<Listener>();
const statusListeners = new Set<(connected: boolean) => void>();
let source: EventSource | null = null;
let retry: ReturnType<typeof setTimeout> | null = null;
let connected = false;

function setConnected(value: boolean) {
  connected = value;
  for (const l of statusListeners) l(value);
}

let onRefused: () => void = () => {};

/** `refused`: the stream was refused (not a dropped connection); the caller checks the session. */
export function startLive(refused?: () => void): void {
  if (refused) onRefused = refused;
  stopLive();
  const es = new EventSource(`${apiBase}/events`);
  source = es;
  es.onopen = () => setConnected(true);
  es.addEventListener("jobs", () => { for (const l of [...listeners]) l(); });
  es.onerror = () => {
    setConnected(false);
    if (es.readyState === EventSource.CLOSED && source === es) {
      onRefused();
      retry = setTimeout(() => { if (source === es) startLive(); }, 5000);
    }
  };
}

export function stopLive(): void {
  if (retry) clearTimeout(retry);
  retry = null;
  source?.close();
  source = null;
  setConnected(false);
}

/** Calls `onChange` (the latest one) on every jobs event while the component is shown. */
export function useLive(onChange: () => void): void {
  const ref = useRef(onChange);
  ref.current = onChange;
  useEffect(() => {
    const l = () => ref.current();
    listeners.add(l);
    return () => { listeners.delete(l); };
  }, []);
}

export function onLiveStatus(listener: (connected: boolean) => void): () => void {
  statusListeners.add(listener);
  listener(connected);
  return () => { statusListeners.delete(listener); };
}
