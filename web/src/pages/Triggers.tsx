import { useState } from "preact/hooks";
import { api, can, type Page, type Trigger } from "../api.js";
import { href, navigate } from "../router.js";
import { folderName, useConsole } from "../session.js";
import { CopyButton, Empty, ErrorBox, Loading, useAction, useLoad } from "../ui.js";
import { TriggerForm } from "./TriggerForm.js";

export function Triggers() {
  const { session, folders } = useConsole();
  const triggers = useLoad(() => api<Page<Trigger>>("/triggers"), []);
  const [creating, setCreating] = useState(false);
  const toggle = useAction();
  const setEnabled = (t: Trigger, enabled: boolean) => toggle.run(async () => {
    await api(`/triggers/${t.id}`, { method: "PATCH", body: { enabled } });
    triggers.reload();
  });
  const mayCreate = can(session, "Triggers.Edit");
  return (
    <section>
      <div class="page-head">
        <h1>Triggers</h1>
        {mayCreate && !creating ? <button type="button" onClick={() => setCreating(true)}>New trigger</button> : null}
      </div>
      {creating ? (
        <article>
          <h2>New trigger</h2>
          <TriggerForm onSaved={(t) => navigate(href("triggers", t.id))} onCancel={() => setCreating(false)} />
        </article>
      ) : null}
      <ErrorBox error={triggers.error ?? toggle.error} onRetry={triggers.reload} />
      {!triggers.data && !triggers.error ? <Loading /> : null}
      {triggers.data?.items.length === 0 ? <Empty>No API triggers yet.{mayCreate ? " Create one to turn HTTP calls into jobs." : ""}</Empty> : null}
      {triggers.data && triggers.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>Name</th><th>Verb</th><th>Slug</th><th>Process</th><th>Folder</th><th>Call mode</th><th>Enabled</th><th>Invoke URL</th></tr></thead>
            <tbody>
              {triggers.data.items.map((t) => (
                <tr key={t.id} data-trigger={t.slug}>
                  <td><a href={href("triggers", t.id)}>{t.name}</a></td>
                  <td><code>{t.verb}</code></td>
                  <td>{t.slug}</td>
                  <td>{t.processName}</td>
                  <td>{folderName(folders, t.folderKey)}</td>
                  <td>{t.callMode}</td>
                  <td>
                    <input type="checkbox" role="switch" aria-label={`${t.name} enabled`} checked={t.enabled} disabled={!can(session, "Triggers.Edit", t.folderKey) || toggle.busy}
                      onChange={(e) => setEnabled(t, e.currentTarget.checked)} />
                  </td>
                  <td><CopyButton text={t.invokeUrl} label="Copy URL" /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
