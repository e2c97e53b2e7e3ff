import { useState } from "preact/hooks";
import { api, can, type Page, type Token } from "../api.js";
import { ScopePicker } from "../scopes.js";
import { useConsole } from "../session.js";
import { ConfirmButton, Empty, ErrorBox, Loading, SecretOnce, Time, useAction, useLoad } from "../ui.js";

/** Personal access tokens: yours (everyone's with Users.View); the token is shown once. */
export function Tokens() {
  const { session } = useConsole();
  const tokens = useLoad(() => api<Page<Token>>("/tokens"), []);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["OR.Jobs"]);
  const [expires, setExpires] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const action = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const t = await api<{ token: string }>("/tokens", { method: "POST", body: { name, scopes, ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) } });
      setSecret(t.token); setName(""); tokens.reload();
    });
  };
  const revoke = (t: Token) => action.run(async () => { await api(`/tokens/${t.id}`, { method: "DELETE" }); tokens.reload(); });
  // one's own tokens; another user's with Users.Edit in the tenant
  const mayRevoke = (t: Token) => t.userId === session.user.id || can(session, "Users.Edit", null);
  return (
    <section>
      <h1>Tokens</h1>
      <p class="muted">Personal access tokens call the API and invoke triggers as you (<code>Authorization: Bearer …</code>), limited to their scopes.</p>
      {secret ? <SecretOnce title="New personal access token" value={secret} onClose={() => setSecret(null)} /> : null}
      <article>
        <h2>New token</h2>
        <form onSubmit={create}>
          <div class="grid">
            <label>Name<input name="tokenName" required value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
            <label>Expires (empty: never)<input name="expiresAt" type="datetime-local" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} /></label>
          </div>
          <ScopePicker scopes={scopes} onChange={setScopes} />
          <ErrorBox error={action.error} />
          <button type="submit" disabled={action.busy || scopes.length === 0}>Create token</button>
        </form>
      </article>
      <ErrorBox error={tokens.error} onRetry={tokens.reload} />
      {!tokens.data && !tokens.error ? <Loading /> : null}
      {tokens.data?.items.length === 0 ? <Empty>No tokens yet.</Empty> : null}
      {tokens.data && tokens.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>Name</th><th>Scopes</th><th>Created</th><th>Expires</th><th>Last used</th><th>Status</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {tokens.data.items.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}{t.userId === session.user.id ? <span class="muted"> (yours)</span> : null}</td>
                  <td>{t.scopes.join(" ")}</td>
                  <td><Time at={t.createdAt} /></td><td><Time at={t.expiresAt} /></td><td><Time at={t.lastUsedAt} /></td>
                  <td>{t.revokedAt ? "revoked" : t.expiresAt && Date.parse(t.expiresAt) < Date.now() ? "expired" : "active"}</td>
                  <td class="actions">{!t.revokedAt && mayRevoke(t)
                    ? <ConfirmButton small label="Revoke" confirmLabel="Revoke for good" onConfirm={() => revoke(t)} disabled={action.busy} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
