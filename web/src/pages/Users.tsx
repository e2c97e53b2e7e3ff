import { useState } from "preact/hooks";
import { api, can, type Page, type Role, type User } from "../api.js";
import { folderName, useConsole } from "../session.js";
import { ConfirmButton, Empty, ErrorBox, Loading, Time, useAction, useLoad } from "../ui.js";

type Grant = { role: string; folderKey: string | null };

export function Users() {
  const { session, folders } = useConsole();
  const users = useLoad(() => api<Page<User>>("/users"), []);
  const roles = useLoad(() => api<Page<Role>>("/roles"), []);
  const [editing, setEditing] = useState<User | "new" | null>(null);
  const action = useAction();
  const mayEdit = can(session, "Users.Edit", null);
  const patch = (u: User, body: Record<string, unknown>) => action.run(async () => { await api(`/users/${u.id}`, { method: "PATCH", body }); users.reload(); });
  const remove = (u: User) => action.run(async () => { await api(`/users/${u.id}`, { method: "DELETE" }); users.reload(); });
  return (
    <section>
      <div class="page-head">
        <h1>Users &amp; roles</h1>
        {mayEdit && editing === null ? <button type="button" onClick={() => setEditing("new")}>New user</button> : null}
      </div>
      {editing !== null ? (
        <article>
          <h2>{editing === "new" ? "New user" : `Edit ${editing.name}`}</h2>
          <UserForm user={editing === "new" ? undefined : editing} roles={roles.data?.items ?? []} onDone={() => { setEditing(null); users.reload(); }} onCancel={() => setEditing(null)} />
        </article>
      ) : null}
      <ErrorBox error={users.error ?? action.error} onRetry={users.reload} />
      {!users.data && !users.error ? <Loading /> : null}
      {users.data?.items.length === 0 ? <Empty>No users.</Empty> : null}
      {users.data && users.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>Name</th><th>Roles</th><th>Status</th><th>Created</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id}>
                  <td>{u.name}{u.orgAdmin ? <> <span class="badge">org admin</span></> : null}</td>
                  <td>{u.roles.length ? u.roles.map((r) => `${r.role}${r.folderKey ? ` (${folderName(folders, r.folderKey)})` : " (tenant)"}`).join(", ") : <span class="muted">{u.orgAdmin ? "every permission, as an organization administrator" : "none"}</span>}</td>
                  <td>{u.disabled ? "disabled" : "active"}</td>
                  <td><Time at={u.createdAt} /></td>
                  <td class="actions">
                    {mayEdit && u.id !== session.user.id ? (
                      <>
                        <button type="button" class="secondary outline small" onClick={() => setEditing(u)}>Edit</button>
                        <button type="button" class="secondary outline small" onClick={() => patch(u, { disabled: !u.disabled })} disabled={action.busy}>{u.disabled ? "Enable" : "Disable"}</button>
                        <ConfirmButton small label="Delete" confirmLabel="Delete for good" onConfirm={() => remove(u)} disabled={action.busy} />
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <h2>Roles</h2>
      <ErrorBox error={roles.error} />
      {roles.data ? (
        <div class="table-wrap">
          <table>
            <thead><tr><th>Role</th><th>Permissions</th></tr></thead>
            <tbody>{roles.data.items.map((r) => <tr key={r.name}><td>{r.name}</td><td>{r.permissions.join(", ")}</td></tr>)}</tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function UserForm({ user, roles, onDone, onCancel }: { user?: User; roles: Role[]; onDone: () => void; onCancel: () => void }) {
  const { folders } = useConsole();
  const [name, setName] = useState(user?.name ?? "");
  const [password, setPassword] = useState("");
  const [grants, setGrants] = useState<Grant[]>(user?.roles ?? [{ role: "Viewer", folderKey: null }]);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(() => user
      ? api(`/users/${user.id}`, { method: "PATCH", body: { roles: grants, ...(password ? { password } : {}) } })
      : api("/users", { method: "POST", body: { name, password, roles: grants } }), onDone);
  };
  const setGrant = (i: number, g: Partial<Grant>) => setGrants(grants.map((x, j) => (j === i ? { ...x, ...g } : x)));
  return (
    <form onSubmit={submit}>
      <div class="grid">
        <label>Name<input name="userName" required disabled={!!user} value={name} onInput={(e) => setName(e.currentTarget.value)} autocomplete="off" /></label>
        <label>{user ? "New password (empty: unchanged)" : "Password"}<input name="newPassword" type="password" required={!user} autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} /></label>
      </div>
      <fieldset>
        <legend>Roles</legend>
        {grants.map((g, i) => (
          <div class="grid grant" key={i}>
            <select aria-label="Role" value={g.role} onChange={(e) => setGrant(i, { role: e.currentTarget.value })}>{roles.map((r) => <option key={r.name}>{r.name}</option>)}</select>
            <select aria-label="Where" value={g.folderKey ?? ""} onChange={(e) => setGrant(i, { folderKey: e.currentTarget.value || null })}>
              <option value="">Whole tenant</option>
              {folders.map((f) => <option key={f.key} value={f.key}>Folder {f.name}</option>)}
            </select>
            <button type="button" class="secondary outline" onClick={() => setGrants(grants.filter((_, j) => j !== i))}>Remove</button>
          </div>
        ))}
        <button type="button" class="secondary outline" onClick={() => setGrants([...grants, { role: "Viewer", folderKey: null }])}>Add a role</button>
      </fieldset>
      <ErrorBox error={action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy} aria-busy={action.busy}>{user ? "Save" : "Create user"}</button>
        <button type="button" class="secondary outline" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
