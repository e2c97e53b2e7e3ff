import { useState } from "preact/hooks";
import { api, org, tenant, type Session } from "../api.js";
import { ErrorBox, useAction } from "../ui.js";

export function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [userName, setUserName] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(() => api<Session>("/session", { method: "POST", body: { userName, password } }), onLogin);
  };
  return (
    <main class="container login">
      <article>
        <header>
          <h1>Baton</h1>
          <p>Sign in to <strong>{org}</strong> / <strong>{tenant}</strong></p>
        </header>
        <form onSubmit={submit}>
          <label>User name
            <input name="userName" autocomplete="username" required value={userName} onInput={(e) => setUserName(e.currentTarget.value)} />
          </label>
          <label>Password
            <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <ErrorBox error={action.error} />
          <button type="submit" aria-busy={action.busy} disabled={action.busy}>Sign in</button>
        </form>
      </article>
    </main>
  );
}
