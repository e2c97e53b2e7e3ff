import { useState } from "preact/hooks";
import { api, can, type Folder, type Page, type Webhook, type WebhookDelivery } from "../api.js";
import { useConsole } from "../session.js";
import { ConfirmButton, Empty, ErrorBox, JsonView, Loading, SecretOnce, StateBadge, Time, useAction, useLoad } from "../ui.js";

const EVENTS = ["*", "job.created", "job.started", "job.completed", "job.faulted", "job.stopped", "job.retrying"];

/**
 * Webhook subscriptions of the tenant (docs/webhooks.md): made here with their secret shown
 * once, pinged, their secret rotated, deleted; each one's deliveries with every attempt, and
 * redelivery of those that were made or failed.
 */
export function Webhooks() {
  const { session } = useConsole();
  const canEdit = can(session, "Settings.Edit", null);
  const hooks = useLoad(() => api<Page<Webhook>>("/webhooks"), []);
  const folders = useLoad(() => api<Page<Folder>>("/folders"), []);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["job.completed", "job.faulted"]);
  const [folderKey, setFolderKey] = useState("");
  const [description, setDescription] = useState("");
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const action = useAction();
  const toggle = (e: string) => setEvents(events.includes(e) ? events.filter((x) => x !== e) : [...events, e]);
  const create = (ev: Event) => {
    ev.preventDefault();
    action.run(async () => {
      const w = await api<Webhook & { secret: string }>("/webhooks", {
        method: "POST", body: { url, events, ...(folderKey ? { folderKeys: [folderKey] } : {}), ...(description ? { description } : {}) },
      });
      setSecret({ title: `Signing secret of the webhook to ${w.url}`, value: w.secret }); setUrl(""); setDescription(""); hooks.reload();
    });
  };
  const rotate = (w: Webhook) => action.run(async () => {
    const r = await api<{ secret: string; previousSecretValidUntil: string | null }>(`/webhooks/${w.id}/rotate-secret`, { method: "POST" });
    setSecret({ title: `New signing secret of the webhook to ${w.url} (the previous one also signs for 24 hours)`, value: r.secret }); hooks.reload();
  });
  const setEnabled = (w: Webhook, enabled: boolean) => action.run(async () => { await api(`/webhooks/${w.id}`, { method: "PATCH", body: { enabled } }); hooks.reload(); });
  const remove = (w: Webhook) => action.run(async () => { await api(`/webhooks/${w.id}`, { method: "DELETE" }); hooks.reload(); });
  const ping = (w: Webhook) => action.run(async () => { await api(`/webhooks/${w.id}/test`, { method: "POST" }); setOpen(null); setOpen(w.id); });
  const folderName = (key: string) => folders.data?.items.find((f) => f.key === key)?.name ?? key;
  return (
    <section>
      <h1>Webhooks</h1>
      <p class="muted">Job events POSTed to your URLs, signed (Standard Webhooks and <code>X-UiPath-Signature</code>), retried for 24 hours. See docs/webhooks.md for receiver code.</p>
      <ErrorBox error={hooks.error} onRetry={hooks.reload} />
      {secret ? <SecretOnce title={secret.title} value={secret.value} onClose={() => setSecret(null)} /> : null}
      {canEdit ? (
        <article>
          <h2>New webhook</h2>
          <form onSubmit={create}>
            <label>URL<input name="webhookUrl" type="url" required placeholder="https://hooks.example.com/baton" value={url} onInput={(e) => setUrl(e.currentTarget.value)} /></label>
            <fieldset>
              <legend>Events</legend>
              {EVENTS.map((e) => (
                <label key={e} class="inline"><input type="checkbox" name={`event-${e}`} checked={events.includes(e)} onChange={() => toggle(e)} /> {e === "*" ? "all events" : e}</label>
              ))}
            </fieldset>
            <label>Folder
              <select name="webhookFolder" value={folderKey} onChange={(e) => setFolderKey(e.currentTarget.value)}>
                <option value="">Every folder</option>
                {folders.data?.items.map((f) => <option key={f.key} value={f.key}>{f.name}</option>)}
              </select>
            </label>
            <label>Description<input name="webhookDescription" value={description} onInput={(e) => setDescription(e.currentTarget.value)} /></label>
            <ErrorBox error={action.error} />
            <button type="submit" disabled={action.busy || events.length === 0}>Create webhook</button>
          </form>
        </article>
      ) : null}
      {!hooks.data && !hooks.error ? <Loading /> : null}
      {hooks.data && hooks.data.items.length === 0 ? <Empty>No webhooks.</Empty> : null}
      {hooks.data && hooks.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>URL</th><th>Events</th><th>Folders</th><th>Enabled</th><th>Created</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {hooks.data.items.map((w) => (
                <tr key={w.id} data-testid="webhook-row">
                  <td><code>{w.url}</code>{w.description ? <div class="muted">{w.description}</div> : null}</td>
                  <td>{w.events.join(" ")}</td>
                  <td>{w.folderKeys ? w.folderKeys.map(folderName).join(", ") : "all"}</td>
                  <td>{w.enabled ? "yes" : "no"}</td>
                  <td><Time at={w.createdAt} /></td>
                  <td class="actions">
                    <button type="button" class="secondary outline small" onClick={() => setOpen(open === w.id ? null : w.id)}>Deliveries</button>
                    {canEdit ? (
                      <>
                        <button type="button" class="secondary outline small" onClick={() => ping(w)} disabled={action.busy}>Send test</button>
                        <button type="button" class="secondary outline small" onClick={() => setEnabled(w, !w.enabled)} disabled={action.busy}>{w.enabled ? "Disable" : "Enable"}</button>
                        <button type="button" class="secondary outline small" onClick={() => rotate(w)} disabled={action.busy}>Rotate secret</button>
                        <ConfirmButton small label="Delete" confirmLabel="Delete for good" onConfirm={() => remove(w)} disabled={action.busy} />
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {open ? <Deliveries key={open} webhookId={open} canEdit={canEdit} /> : null}
    </section>
  );
}

function Deliveries({ webhookId, canEdit }: { webhookId: string; canEdit: boolean }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useLoad(() => api<Page<WebhookDelivery>>(`/webhooks/${webhookId}/deliveries?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`), [webhookId, cursor]);
  const action = useAction();
  const redeliver = (d: WebhookDelivery) => action.run(async () => { await api(`/webhooks/${webhookId}/deliveries/${d.id}/redeliver`, { method: "POST" }); page.reload(); });
  return (
    <article data-testid="webhook-deliveries">
      <h2>Deliveries <button type="button" class="secondary outline small" onClick={page.reload}>Refresh</button></h2>
      <ErrorBox error={page.error ?? action.error} onRetry={page.reload} />
      {!page.data && !page.error ? <Loading /> : null}
      {page.data && page.data.items.length === 0 ? <Empty>No deliveries yet.</Empty> : null}
      {page.data?.items.map((d) => (
        <details key={d.id} data-testid="webhook-delivery">
          <summary>
            <StateBadge state={d.state === "Delivered" ? "Successful" : d.state === "Failed" ? "Faulted" : "Pending"} /> <code>{d.type}</code> <code>{d.id}</code> · <Time at={d.createdAt} /> · {d.attempts.length} attempt{d.attempts.length === 1 ? "" : "s"}
            {d.state === "Pending" && d.nextAttemptAt ? <> · next <Time at={d.nextAttemptAt} /></> : null}
          </summary>
          <table>
            <thead><tr><th>At</th><th>Status</th><th>Duration</th><th>Error</th></tr></thead>
            <tbody>
              {d.attempts.map((a, i) => (
                <tr key={i}><td><Time at={a.at} /></td><td>{a.statusCode ?? "—"}</td><td>{a.durationMs} ms</td><td>{a.error ?? ""}</td></tr>
              ))}
            </tbody>
          </table>
          <JsonView value={d.payload} label="Body" />
          {canEdit && d.state !== "Pending" ? <button type="button" class="small" onClick={() => redeliver(d)} disabled={action.busy}>Redeliver</button> : null}
        </details>
      ))}
      {page.data?.nextCursor ? <button type="button" class="secondary outline small" onClick={() => setCursor(page.data!.nextCursor)}>Older</button> : null}
    </article>
  );
}
