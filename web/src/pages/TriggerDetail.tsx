import { useState } from "preact/hooks";
import { newIdempotencyKey } from "../../../src/client/idempotency.js";
import { api, CALL_MODES, can, consolePath, csrfHeaders, type CallMode, type Trigger } from "../api.js";
import { navigate } from "../router.js";
import { folderName, useConsole } from "../session.js";
import { LANGUAGES, snippet, type Language } from "../snippets.js";
import { ConfirmButton, CopyButton, ErrorBox, Loading, parseJsonObject, useAction, useLoad } from "../ui.js";
import { TriggerForm } from "./TriggerForm.js";

export function TriggerDetail({ id }: { id: string }) {
  const { session, folders } = useConsole();
  const trigger = useLoad(() => api<Trigger>(`/triggers/${encodeURIComponent(id)}`), [id]);
  const [editing, setEditing] = useState(false);
  const action = useAction();
  if (!trigger.data) return trigger.error ? <><p><a href="#/triggers">← Triggers</a></p><ErrorBox error={trigger.error} onRetry={trigger.reload} /></> : <Loading />;
  const t = trigger.data;
  const mayEdit = can(session, "Triggers.Edit", t.folderKey);
  const setEnabled = (enabled: boolean) => action.run(async () => { await api(`/triggers/${t.id}`, { method: "PATCH", body: { enabled } }); trigger.reload(); });
  const remove = () => action.run(async () => { await api(`/triggers/${t.id}`, { method: "DELETE" }); navigate("#/triggers"); });
  return (
    <section>
      <p><a href="#/triggers">← Triggers</a></p>
      <div class="page-head">
        <h1>{t.name} {t.enabled ? null : <span class="badge state-Stopped">disabled</span>}</h1>
        {mayEdit ? (
          <div class="actions">
            <button type="button" class="secondary" onClick={() => setEditing(!editing)} aria-expanded={editing}>Edit</button>
            <button type="button" class="secondary" onClick={() => setEnabled(!t.enabled)} disabled={action.busy}>{t.enabled ? "Disable" : "Enable"}</button>
            <ConfirmButton label="Delete" confirmLabel="Delete for good" onConfirm={remove} disabled={action.busy} />
          </div>
        ) : null}
      </div>
      <ErrorBox error={action.error} />
      {editing ? <article><TriggerForm trigger={t} onSaved={() => { setEditing(false); trigger.reload(); }} onCancel={() => setEditing(false)} /></article> : null}
      <dl class="facts">
        <dt>Invoke URL</dt>
        <dd class="copy-row"><code data-testid="invoke-url">{t.verb} {t.invokeUrl}</code><CopyButton text={t.invokeUrl} /></dd>
        <dt>Process</dt><dd>{t.processName} in {folderName(folders, t.folderKey)}</dd>
        <dt>Default call mode</dt><dd>{t.callMode}</dd>
        <dt>Job priority</dt><dd>{t.priority}</dd>
        <dt>Default arguments</dt><dd><code>{JSON.stringify(t.defaultArguments)}</code></dd>
      </dl>
      <Calls trigger={t} />
      <p><a href={`#/jobs?triggerId=${encodeURIComponent(t.id)}`}>Jobs of this trigger</a></p>
    </section>
  );
}

/** Snippets for every language and call mode, and "try it" from the browser with the console session. */
function Calls({ trigger }: { trigger: Trigger }) {
  const { session } = useConsole();
  // an invocation creates a job: the server answers 403 without Jobs.Create in the folder
  const mayInvoke = can(session, "Jobs.Create", trigger.folderKey);
  const [language, setLanguage] = useState<Language>("curl");
  const [callMode, setCallMode] = useState<CallMode>(trigger.callMode);
  const [argsText, setArgsText] = useState("{}");
  let args: Record<string, unknown> = {};
  let argsError: unknown = null;
  try { args = parseJsonObject(argsText, "Arguments"); } catch (err) { argsError = err; }
  const text = snippet(language, { url: trigger.invokeUrl, verb: trigger.verb, callMode, args });
  return (
    <>
      <h2>Call it</h2>
      <div class="grid">
        <label>Call mode
          <select name="snippetCallMode" value={callMode} onChange={(e) => setCallMode(e.currentTarget.value as CallMode)}>
            {CALL_MODES.map((m) => <option key={m}>{m}</option>)}
          </select>
        </label>
        <label>Arguments (JSON object)
          <input name="snippetArguments" spellcheck={false} value={argsText} onInput={(e) => setArgsText(e.currentTarget.value)} aria-invalid={argsError ? true : undefined} />
        </label>
      </div>
      <ErrorBox error={argsError} />
      <div role="tablist" class="tabs" aria-label="Language">
        {LANGUAGES.map((l) => (
          <button key={l} type="button" role="tab" aria-selected={l === language} class={l === language ? "" : "secondary outline"} onClick={() => setLanguage(l)}>{l}</button>
        ))}
      </div>
      <p class="muted">{language === "fetch" ? "Paste into the browser console; replace <your token>." : "Set BATON_TOKEN to a personal access token (Tokens page) or an OAuth access token first."}</p>
      <div class="snippet">
        <div class="snippet-head"><span>{language} · {callMode}</span><CopyButton text={text} label="Copy snippet" /></div>
        <pre data-testid="snippet" data-language={language} data-call-mode={callMode}>{text}</pre>
      </div>
      {mayInvoke
        ? <TryIt trigger={trigger} callMode={callMode} args={argsError ? null : args} />
        : <p class="muted" data-testid="try-it-denied">Invoking this trigger needs Jobs.Create in its folder, which your roles do not give.</p>}
    </>
  );
}

interface Answer { status: number; location: string | null; body: string; redirected: boolean; idempotencyKey: string; replayed: boolean }

function TryIt({ trigger, callMode, args }: { trigger: Trigger; callMode: CallMode; args: Record<string, unknown> | null }) {
  const [answer, setAnswer] = useState<Answer | null>(null);
  const action = useAction();
  const run = () => action.run(async () => {
    setAnswer(null);
    if (!args) throw new Error("Fix the arguments first.");
    // the same tenant's invoke path, relative to this page (the session cookie covers it)
    const path = `${consolePath}t/${encodeURIComponent(trigger.folderKey)}/${encodeURIComponent(trigger.slug)}`;
    const withMode = { ...args, $callMode: callMode };
    const query = trigger.verb === "GET" || trigger.verb === "DELETE"
      ? `?${new URLSearchParams(Object.entries(withMode).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])).toString()}` : "";
    const hasBody = query === "";
    // a new key per click: a click is a new call (SPEC §8)
    const idempotencyKey = newIdempotencyKey();
    let res: Response;
    try {
      res = await fetch(path + query, {
        method: trigger.verb,
        headers: { ...csrfHeaders(), "idempotency-key": idempotencyKey, ...(hasBody ? { "content-type": "application/json" } : {}) },
        ...(hasBody ? { body: JSON.stringify(withMode) } : {}),
      });
    } catch {
      throw new Error("The call did not reach Baton.");
    }
    const body = await res.text();
    setAnswer({
      status: res.status, location: res.headers.get("location"), body, redirected: res.redirected,
      idempotencyKey, replayed: res.headers.get("idempotent-replayed")?.trim().toLowerCase() === "true",
    });
  });
  let jobKey: string | null = null;
  try { jobKey = answer ? (JSON.parse(answer.body) as { jobKey?: string }).jobKey ?? null : null; } catch { jobKey = null; }
  return (
    <article>
      <h3>Try it</h3>
      <p class="muted">Invokes the trigger now as you ({callMode}{callMode === "LongPolling" ? ": waits for the result" : ""}).</p>
      <button type="button" onClick={run} disabled={action.busy || !trigger.enabled} aria-busy={action.busy}>Invoke</button>
      {!trigger.enabled ? <small> The trigger is disabled.</small> : null}
      <ErrorBox error={action.error} />
      {answer ? (
        <div data-testid="try-answer">
          <p>HTTP <strong data-testid="try-status">{answer.status}</strong>{answer.redirected ? " (after following redirects)" : ""}{answer.location ? <> · Location <code>{answer.location}</code></> : null}</p>
          <p class="muted">Idempotency-Key <code data-testid="try-idempotency-key">{answer.idempotencyKey}</code>{answer.replayed ? " · replayed: the answer of an earlier call with this key" : ""}</p>
          {answer.body ? <pre class="json">{pretty(answer.body)}</pre> : <p class="muted">No body.</p>}
          {jobKey ? <p><a href={`#/jobs/${jobKey}`}>Open the job</a></p> : null}
        </div>
      ) : null}
    </article>
  );
}

function pretty(text: string): string {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}
