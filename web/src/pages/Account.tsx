import { useState } from "preact/hooks";
import { api } from "../api.js";
import { useConsole } from "../session.js";
import { ErrorBox, useAction } from "../ui.js";

/** The logged-in user: roles, and a new password (which ends every session of the user). */
export function Account({ onPasswordChanged }: { onPasswordChanged: () => void }) {
  const { session } = useConsole();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      if (next !== again) throw new Error("The two new passwords differ.");
      await api("/session/password", { method: "POST", body: { currentPassword: current, newPassword: next } });
    }, onPasswordChanged);
  };
  return (
    <section>
      <h1>Your account</h1>
      <dl class="facts">
        <dt>User</dt><dd>{session.user.name}{session.user.orgAdmin ? " (organization administrator)" : ""}</dd>
        <dt>Roles</dt><dd>{session.user.roles.length ? session.user.roles.map((r) => `${r.role}${r.folderKey ? " (one folder)" : " (tenant)"}`).join(", ") : session.user.orgAdmin ? "every permission" : "none"}</dd>
        <dt>Permissions</dt><dd>{session.permissions.tenant.join(", ") || "none in the whole tenant"}</dd>
      </dl>
      <article>
        <h2>Change your password</h2>
        <p class="muted">Every session of yours ends, this one too: you sign in again with the new password.</p>
        <form onSubmit={submit}>
          <label>Current password<input type="password" name="currentPassword" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} /></label>
          <div class="grid">
            <label>New password (8 characters or more)<input type="password" name="newPassword" autocomplete="new-password" required minLength={8} value={next} onInput={(e) => setNext(e.currentTarget.value)} /></label>
            <label>New password again<input type="password" name="newPasswordAgain" autocomplete="new-password" required minLength={8} value={again} onInput={(e) => setAgain(e.currentTarget.value)} /></label>
          </div>
          <ErrorBox error={action.error} />
          <button type="submit" disabled={action.busy} aria-busy={action.busy}>Change password</button>
        </form>
      </article>
    </section>
  );
}
