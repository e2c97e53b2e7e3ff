import { useEffect, useState } from "preact/hooks";
import { api, can, type Page, type RobotKey, type RobotSession } from "../api.js";
import { useLive } from "../live.js";
import { ConfirmButton, Empty, ErrorBox, Loading, SecretOnce, Time, useAction, useLoad } from "../ui.js";
import { folderName, useConsole } from "../session.js";

/** Live robot sessions (what they serve, slots in use, lease) and the tenant's robot keys. */
export function Robots() {
  const { session } = useConsole();
  const sessions = useLoad(async () => ({ sessions: (await api<Page<RobotSession>>("/robots/sessions")).items }), []);
  const keys = useLoad(() => api<Page<RobotKey>>("/robots"), []);
  useLive(sessions.reload);
  // sessions open, heartbeat and end without a jobs event: read them again every few seconds too
  useEffect(() => {
    const timer = setInterval(sessions.reload, 5000);
    return () => clearInterval(timer);
  }, []);
  // robot keys are the tenant's: Robots.Edit in the whole tenant
  const mayEdit = can(session, "Robots.Edit", null);
  const { folders } = useConsole();
  const [name, setName] = useState("");
  // empty: the key's robots serve every folder
  const [keyFolders, setKeyFolders] = useState<string[]>([]);
  const [secret, setSecret] = useState<{ title: string; key: string } | null>(null);
  const action = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const k = await api<{ name: string; key: string }>("/robots", { method: "POST", body: { name, ...(keyFolders.length ? { folderKeys: keyFolders } : {}) } });
      setSecret({ title: `Robot key of ${k.name}`, key: k.key });
      setName("");
      keys.reload();
    });
  };
  const rotate = (k: RobotKey) => action.run(async () => {
    const r = await api<{ name: string; key: string }>(`/robots/${k.id}/rotate`, { method: "POST" });
    setSecret({ title: `New robot key of ${r.name} (the old one no longer works)`, key: r.key });
    keys.reload(); sessions.reload();
  });
  const revoke = (k: RobotKey) => action.run(async () => {
    await api(`/robots/${k.id}`, { method: "DELETE" });
    keys.reload(); sessions.reload();
  });
  const keyName = (id: string | null) => (id === null ? "in-process" : keys.data?.items.find((k) => k.id === id)?.name ?? id.slice(0, 8));
  return (
    <section>
      <h1>Robots</h1>
      <h2>Live sessions</h2>
      <ErrorBox error={sessions.error} onRetry={sessions.reload} />
      {!sessions.data && !sessions.error ? <Loading /> : null}
      {sessions.data?.sessions.length === 0 ? <Empty>No robot is connected. Start one with <code>baton robot --config FILE</code> and a robot key.</Empty> : null}
      {sessions.data && sessions.data.sessions.length > 0 ? (
        <div class="table-wrap">
          <table class="striped" data-testid="sessions">
            <thead><tr><th>Robot</th><th>Key</th><th>Processes served</th><th>Slots in use</th><th>Last heartbeat</th><th>Lease</th><th>Connected since</th><th>Version</th></tr></thead>
            <tbody>
              {sessions.data.sessions.map((s) => (
                <tr key={s.id}>
                  <td>{s.robotName}</td>
                  <td>{keyName(s.robotKeyId)}</td>
                  <td>{s.processes.join(", ")}</td>
                  <td>{s.slotsInUse} / {s.slots}</td>
                  <td><Time at={s.lastHeartbeatAt} /></td>
                  <td><Lease at={s.leaseExpiresAt} /></td>
                  <td><Time at={s.createdAt} /></td>
                  <td>{s.version ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <h2>Robot keys</h2>
      {secret ? <SecretOnce title={secret.title} value={secret.key} onClose={() => setSecret(null)} /> : null}
      <ErrorBox error={keys.error ?? action.error} />
      {mayEdit ? (
        <form class="inline-form" onSubmit={create}>
          <input name="robotName" aria-label="New robot key name" placeholder="Robot name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" disabled={action.busy}>Create robot key</button>
          <fieldset class="folder-picks">
            <legend class="muted">Folders its robots serve (none ticked: every folder)</legend>
            {folders.map((f) => (
              <label key={f.key}><input type="checkbox" name="keyFolder" value={f.key} checked={keyFolders.includes(f.key)}
                onChange={(e) => setKeyFolders(e.currentTarget.checked ? [...keyFolders, f.key] : keyFolders.filter((k) => k !== f.key))} /> {f.name}</label>
            ))}
          </fieldset>
        </form>
      ) : null}
      {keys.data?.items.length === 0 ? <Empty>No robot keys yet.</Empty> : null}
      {keys.data && keys.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>Name</th><th>Folders</th><th>Created</th><th>Rotated</th><th>Status</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {keys.data.items.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td><td>{k.folderKeys?.length ? k.folderKeys.map((f) => folderName(folders, f)).join(", ") : "every folder"}</td><td><Time at={k.createdAt} /></td><td><Time at={k.rotatedAt} /></td>
                  <td>{k.revokedAt ? <>revoked <Time at={k.revokedAt} /></> : "active"}</td>
                  <td class="actions">
                    {mayEdit && !k.revokedAt ? (
                      <>
                        <button type="button" class="secondary outline small" onClick={() => rotate(k)} disabled={action.busy}>Rotate</button>
                        <ConfirmButton small label="Revoke" confirmLabel="Revoke for good" onConfirm={() => revoke(k)} disabled={action.busy} />
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** Each heartbeat renews the session's lease: a lease about to run out means missed heartbeats. */
function Lease({ at }: { at: string }) {
  const seconds = Math.round((Date.parse(at) - Date.now()) / 1000);
  return <time dateTime={at} title={`lease until ${at}`}>{seconds >= 0 ? `alive, lease ${seconds} s left` : `no heartbeat, lease ran out ${-seconds} s ago`}</time>;
}
