import { useState } from "preact/hooks";
import { api, ApiError, orgApiBase, org, tenant, type ExternalApp, type Page } from "../api.js";
import { ScopePicker } from "../scopes.js";
import { ConfirmButton, Empty, ErrorBox, Loading, SecretOnce, Time, useAction, useLoad } from "../ui.js";

/**
 * External applications live on the organization's routes (`{base}/{org}/api/v1`), for
 * organization administrators, authenticated by a bearer token: the console session's cookie
 * is scoped to the tenant. An administrator pastes an organization token here; it stays in
 * this page's memory only.
 */
export function ExternalApps() {
  const [token, setToken] = useState("");
  const [draft, setDraft] = useState("");
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  const call = <T,>(path: string, method = "GET", body?: unknown) =>
    api<T>(`${orgApiBase}/external-apps${path}`, { absolute: true, method, body, keepSessionOn401: true, ...(headers ? { headers } : {}) });
  const apps = useLoad(() => call<Page<ExternalApp>>(""), [token]);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["OR.Jobs"]);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const action = useAction();
  const denied = apps.error instanceof ApiError && (apps.error.status === 401 || apps.error.status === 403);
  const create = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const a = await call<{ name: string; clientId: string; clientSecret: string }>("", "POST", { name, tenant, scopes });
      setSecret({ title: `Client secret of ${a.name} (client id ${a.clientId})`, value: a.clientSecret }); setName(""); apps.reload();
    });
  };
  const rotate = (a: ExternalApp) => action.run(async () => {
    const r = await call<{ clientSecret: string }>(`/${a.clientId}/secret`, "POST");
    setSecret({ title: `New client secret of ${a.name}`, value: r.clientSecret }); apps.reload();
  });
  const revoke = (a: ExternalApp) => action.run(async () => { await call(`/${a.clientId}`, "DELETE"); apps.reload(); });
  const mine = apps.data?.items.filter((a) => a.tenant === tenant) ?? [];
  return (
    <section>
      <h1>External applications</h1>
      <p class="muted">Confidential OAuth 2.0 clients of this tenant (client-credentials grant at <code>/{org}/identity_/connect/token</code>). Only administrators of the organization <strong>{org}</strong> manage them.</p>
      {denied ? (
        <article class="notice" data-testid="external-apps-forbidden">
          <strong>{apps.error instanceof ApiError && apps.error.status === 403 ? "This token is not an organization administrator's." : "Organization administrators only."}</strong>
          <p>External applications are managed on the organization's API with an organization administrator's personal access token (your console session covers this tenant only). Paste one to manage them here; it is kept in this page only and forgotten when you leave.</p>
          <ErrorBox error={apps.error} />
          <form class="inline-form" onSubmit={(e) => { e.preventDefault(); setToken(draft.trim()); }}>
            <input type="password" name="orgToken" aria-label="Organization administrator's token" placeholder="baton_pat_…" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} autocomplete="off" />
            <button type="submit" disabled={!draft.trim()}>Use token</button>
          </form>
        </article>
      ) : <ErrorBox error={apps.error} onRetry={apps.reload} />}
      {!apps.data && !apps.error ? <Loading /> : null}
      {apps.data ? (
        <>
          {secret ? <SecretOnce title={secret.title} value={secret.value} onClose={() => setSecret(null)} /> : null}
          <article>
            <h2>New application</h2>
            <form onSubmit={create}>
              <label>Name<input name="appName" required value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
              <ScopePicker scopes={scopes} onChange={setScopes} />
              <ErrorBox error={action.error} />
              <button type="submit" disabled={action.busy || scopes.length === 0}>Create application</button>
            </form>
          </article>
          {mine.length === 0 ? <Empty>No external applications for this tenant.</Empty> : (
            <div class="table-wrap">
              <table class="striped">
                <thead><tr><th>Name</th><th>Client id</th><th>Scopes</th><th>Created</th><th>Secret rotated</th><th>Status</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
                <tbody>
                  {mine.map((a) => (
                    <tr key={a.id}>
                      <td>{a.name}</td><td><code>{a.clientId}</code></td><td>{a.scopes.join(" ")}</td>
                      <td><Time at={a.createdAt} /></td><td><Time at={a.secretRotatedAt} /></td>
                      <td>{a.revokedAt ? "revoked" : "active"}</td>
                      <td class="actions">{!a.revokedAt ? (
                        <>
                          <button type="button" class="secondary outline small" onClick={() => rotate(a)} disabled={action.busy}>Rotate secret</button>
                          <ConfirmButton small label="Revoke" confirmLabel="Revoke for good" onConfirm={() => revoke(a)} disabled={action.busy} />
                        </>
                      ) : null}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </section>
  );
}
