import { useEffect, useState } from "preact/hooks";
import { api, can, type Settings as TenantSettings } from "../api.js";
import { useConsole } from "../session.js";
import { ErrorBox, Loading, useAction, useLoad } from "../ui.js";

const NUMBERS: { key: keyof TenantSettings; label: string; help: string }[] = [
  { key: "longPollTimeoutSeconds", label: "LongPolling wait (seconds)", help: "How long one LongPolling request or wait request blocks (1–90); × 20 at least the job limit (fetch follows 20 redirects)." },
  { key: "syncMaxJobDurationSeconds", label: "LongPolling job limit (seconds)", help: "LongPolling jobs running longer are killed (MaxDurationExceeded); at most the wait × 20." },
  { key: "redirectStatusCode", label: "Call-mode redirect status", help: "303 See Other (default), or 302 for clients that compare with 302." },
  { key: "maxRequestBodyBytes", label: "Max invocation body (bytes)", help: "Larger bodies are refused with 413." },
  { key: "jobRetentionDays", label: "Job retention (days)", help: "Final jobs older than this are purged." },
  { key: "idempotencyKeyRetentionHours", label: "Idempotency key retention (hours)", help: "How long a call's Idempotency-Key is remembered (1–720): a retry within it gets the first call's job." },
  { key: "rateLimitPerTokenPerMinute", label: "Requests per token per minute", help: "0: unlimited. Counted on each node." },
  { key: "rateLimitPerTriggerPerMinute", label: "Invocations per trigger per minute", help: "0: unlimited. Counted on each node." },
];

export function Settings() {
  const { session } = useConsole();
  const settings = useLoad(() => api<TenantSettings>("/settings"), []);
  const [form, setForm] = useState<Record<string, string | boolean>>({});
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const mayEdit = can(session, "Settings.Edit", null);
  useEffect(() => {
    const s = settings.data;
    if (!s) return;
    const f: Record<string, string | boolean> = { syncRedirectsRequireAuth: s.syncRedirectsRequireAuth, corsAllowedOrigins: s.corsAllowedOrigins.join("\n") };
    for (const n of NUMBERS) f[n.key] = String(s[n.key] ?? "");
    setForm(f);
  }, [settings.data]);
  const submit = (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const body: Record<string, unknown> = {
      syncRedirectsRequireAuth: form.syncRedirectsRequireAuth,
      corsAllowedOrigins: String(form.corsAllowedOrigins ?? "").split(/[\s,]+/).filter(Boolean),
    };
    for (const n of NUMBERS) body[n.key] = Number(form[n.key]);
    action.run(() => api("/settings", { method: "PATCH", body }), () => { setSaved(true); settings.reload(); });
  };
  if (!settings.data) return settings.error ? <ErrorBox error={settings.error} onRetry={settings.reload} /> : <Loading />;
  // the form is shown once it holds the settings: typed into before, a field would keep its
  // value and the others be sent empty (400)
  if (Object.keys(form).length === 0) return <Loading />;
  return (
    <section>
      <h1>Tenant settings</h1>
      <form onSubmit={submit}>
        <fieldset disabled={!mayEdit}>
          {/* the hint is not the input's next sibling: Pico pulls an `input + small` up under the input, over the label */}
          <label class="toggle">
            <input type="checkbox" role="switch" name="syncRedirectsRequireAuth" aria-describedby="syncRedirectsRequireAuth-hint" checked={form.syncRedirectsRequireAuth === true} onChange={(e) => { const checked = e.currentTarget.checked; setForm((f) => ({ ...f, syncRedirectsRequireAuth: checked })); }} />
            <span>LongPolling wait URIs require a token</span>
          </label>
          <small class="toggle-hint" id="syncRedirectsRequireAuth-hint">Off: they are signed and work without one.</small>
          <div class="grid settings-grid">
            {NUMBERS.map((n) => (
              <label key={n.key}>{n.label}
                <input type="number" name={n.key} min={0} value={String(form[n.key] ?? "")} onInput={(e) => { const value = e.currentTarget.value; setForm((f) => ({ ...f, [n.key]: value })); }} />
                <small>{n.help}</small>
              </label>
            ))}
          </div>
          <label>CORS allowed origins (one a line; <code>*</code> for any)
            <textarea name="corsAllowedOrigins" rows={3} value={String(form.corsAllowedOrigins ?? "")} onInput={(e) => { const value = e.currentTarget.value; setForm((f) => ({ ...f, corsAllowedOrigins: value })); }} />
          </label>
        </fieldset>
        <ErrorBox error={action.error} />
        {saved ? <p role="status">Saved.</p> : null}
        {mayEdit ? <button type="submit" disabled={action.busy} aria-busy={action.busy}>Save settings</button> : <p class="muted">You may view the settings, not change them.</p>}
      </form>
    </section>
  );
}
