import { useState } from "preact/hooks";
import { api, can, type Folder } from "../api.js";
import { useConsole } from "../session.js";
import { ConfirmButton, Empty, ErrorBox, Time, useAction } from "../ui.js";

export function Folders() {
  const { session, folders, reloadFolders } = useConsole();
  const [name, setName] = useState("");
  const [renaming, setRenaming] = useState<{ key: string; name: string } | null>(null);
  const action = useAction();
  const mayEdit = can(session, "Folders.Edit", null);
  const create = (e: Event) => {
    e.preventDefault();
    action.run(() => api("/folders", { method: "POST", body: { name } }), () => { setName(""); reloadFolders(); });
  };
  const rename = (e: Event) => {
    e.preventDefault();
    if (renaming) action.run(() => api(`/folders/${renaming.key}`, { method: "PATCH", body: { name: renaming.name } }), () => { setRenaming(null); reloadFolders(); });
  };
  const remove = (f: Folder) => action.run(() => api(`/folders/${f.key}`, { method: "DELETE" }), reloadFolders);
  return (
    <section>
      <h1>Folders</h1>
      <p class="muted">Folders group processes, triggers and jobs; roles can be granted per folder. <code>Shared</code> cannot be renamed or deleted, and a folder must be empty to be deleted.</p>
      {mayEdit ? (
        <form class="inline-form" onSubmit={create}>
          <input name="folderName" aria-label="New folder name" placeholder="Folder name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" disabled={action.busy}>Create folder</button>
        </form>
      ) : null}
      <ErrorBox error={action.error} />
      {folders.length === 0 ? <Empty>No folders you may see.</Empty> : (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>Name</th><th>Key</th><th>Created</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {folders.map((f) => (
                <tr key={f.key}>
                  <td>{renaming?.key === f.key ? (
                    <form class="inline-form" onSubmit={rename}>
                      <input aria-label="Folder name" value={renaming.name} onInput={(e) => setRenaming({ key: f.key, name: e.currentTarget.value })} />
                      <button type="submit" class="small">Save</button>
                      <button type="button" class="secondary outline small" onClick={() => setRenaming(null)}>Cancel</button>
                    </form>
                  ) : f.name}</td>
                  <td><code>{f.key}</code></td>
                  <td><Time at={f.createdAt} /></td>
                  <td class="actions">
                    {can(session, "Folders.Edit", f.key) && f.name !== "Shared" && renaming?.key !== f.key ? (
                      <>
                        <button type="button" class="secondary outline small" onClick={() => setRenaming({ key: f.key, name: f.name })}>Rename</button>
                        <ConfirmButton small label="Delete" confirmLabel="Delete for good" onConfirm={() => remove(f)} disabled={action.busy} />
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
