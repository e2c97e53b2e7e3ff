import { useState } from "preact/hooks";
import { api, can, type Page, type Process } from "../api.js";
import { useConsole } from "../session.js";
import { Markdown } from "../markdown.js";
import { ConfirmButton, Empty, ErrorBox, Loading, parseJsonObject, useAction, useLoad } from "../ui.js";

export function Processes() {
  const { session, folders } = useConsole();
  const [folderKey, setFolderKey] = useState(folders.find((f) => f.name === "Shared")?.key ?? folders[0]?.key ?? "");
  const processes = useLoad(() => (folderKey ? api<Page<Process>>(`/folders/${folderKey}/processes`) : Promise.resolve({ items: [], nextCursor: null })), [folderKey]);
  const [editing, setEditing] = useState<Process | "new" | null>(null);
  const del = useAction();
  const mayEdit = can(session, "Processes.Edit", folderKey);
  const remove = (p: Process) => del.run(async () => { await api(`/folders/${folderKey}/processes/${encodeURIComponent(p.name)}`, { method: "DELETE" }); processes.reload(); });
  return (
    <section>
      <div class="page-head">
        <h1>Processes</h1>
        {mayEdit && editing === null ? <button type="button" onClick={() => setEditing("new")}>New process</button> : null}
      </div>
      <label class="inline">Folder{" "}
        <select name="folder" value={folderKey} onChange={(e) => { setFolderKey(e.currentTarget.value); setEditing(null); }}>
          {folders.map((f) => <option key={f.key} value={f.key}>{f.name}</option>)}
        </select>
      </label>
      <p class="muted">A process is the orchestrator's record of an automation; robots declare which process names they run.</p>
      {editing !== null ? (
        <article>
          <h2>{editing === "new" ? "New process" : `Edit ${editing.name}`}</h2>
          <ProcessForm folderKey={folderKey} process={editing === "new" ? undefined : editing} onDone={() => { setEditing(null); processes.reload(); }} onCancel={() => setEditing(null)} />
        </article>
      ) : null}
      <ErrorBox error={processes.error ?? del.error} onRetry={processes.reload} />
      {!processes.data && !processes.error ? <Loading /> : null}
      {processes.data?.items.length === 0 ? <Empty>No processes in this folder yet.</Empty> : null}
      {processes.data && processes.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>Name</th><th>Description</th><th>Priority</th><th>Max duration</th><th>Retries</th><th>At once</th><th>Default inputs</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {processes.data.items.map((p) => (
                <tr key={p.id} data-process={p.name}>
                  <td><strong>{p.name}</strong></td>
                  <td class="description">{p.description ? <Markdown text={p.description} /> : <span class="muted">–</span>}</td>
                  <td>{p.priority}</td>
                  <td>{p.maxDurationSeconds ? `${p.maxDurationSeconds} s` : "–"}</td>
                  <td>{p.retry.maxAttempts}</td>
                  <td data-testid="limits">{describeLimits(p)}</td>
                  <td><code>{JSON.stringify(p.defaultInputArguments)}</code></td>
                  <td class="actions">
                    <a class="small" href={`#/jobs?folderKey=${folderKey}&processName=${encodeURIComponent(p.name)}`}>Jobs</a>
                    {can(session, "Jobs.Create", folderKey) ? <a role="button" class="small" href={`#/start?folder=${folderKey}&process=${encodeURIComponent(p.name)}`}>Start job</a> : null}
                    {mayEdit ? <button type="button" class="secondary outline small" onClick={() => setEditing(p)}>Edit</button> : null}
                    {mayEdit ? <ConfirmButton small label="Delete" confirmLabel="Delete for good" onConfirm={() => remove(p)} disabled={del.busy} /> : null}
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

/** the process's concurrency limits in a few words: "5", "5 · 1 per /customerId", or "–" */
function describeLimits(p: Process): string {
  const parts = [
    p.maxConcurrentJobs != null ? String(p.maxConcurrentJobs) : null,
    p.maxConcurrentJobsPerKey != null ? `${p.maxConcurrentJobsPerKey} per ${p.concurrencyKey ?? "?"}` : null,
  ].filter((x) => x !== null);
  return parts.length ? parts.join(" · ") : "–";
}

function ProcessForm({ folderKey, process, onDone, onCancel }: { folderKey: string; process?: Process; onDone: () => void; onCancel: () => void }) {
  const [name, setName] = useState(process?.name ?? "");
  const [description, setDescription] = useState(process?.description ?? "");
  const [priority, setPriority] = useState<string>(process?.priority ?? "Normal");
  const [maxDuration, setMaxDuration] = useState(process?.maxDurationSeconds ? String(process.maxDurationSeconds) : "");
  const [maxAttempts, setMaxAttempts] = useState(String(process?.retry.maxAttempts ?? 1));
  const [backoffType, setBackoffType] = useState<string>(process?.retry.backoff.type ?? "Exponential");
  const [delay, setDelay] = useState(String(process?.retry.backoff.delaySeconds ?? 5));
  const [maxDelay, setMaxDelay] = useState(String(process?.retry.backoff.maxDelaySeconds ?? 3600));
  const [jitter, setJitter] = useState(process?.retry.backoff.jitter ?? false);
  const [defaults, setDefaults] = useState(JSON.stringify(process?.defaultInputArguments ?? {}, null, 2));
  const [inputSchema, setInputSchema] = useState(process?.inputSchema ? JSON.stringify(process.inputSchema, null, 2) : "");
  const [maxConcurrent, setMaxConcurrent] = useState(process?.maxConcurrentJobs ? String(process.maxConcurrentJobs) : "");
  const [concurrencyKey, setConcurrencyKey] = useState(process?.concurrencyKey ?? "");
  const [maxPerKey, setMaxPerKey] = useState(process?.maxConcurrentJobsPerKey ? String(process.maxConcurrentJobsPerKey) : "");
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const body = {
        description, priority,
        maxDurationSeconds: maxDuration ? Number(maxDuration) : null,
        retry: {
          maxAttempts: Number(maxAttempts),
          backoff: { type: backoffType as "Fixed" | "Exponential", delaySeconds: Number(delay), maxDelaySeconds: Number(maxDelay), jitter },
        },
        defaultInputArguments: parseJsonObject(defaults, "Default input arguments"),
        inputSchema: inputSchema.trim() ? parseJsonObject(inputSchema, "Input schema") : null,
        // empty: no limit; the server checks the rest (400 lists each fault)
        maxConcurrentJobs: maxConcurrent.trim() ? Number(maxConcurrent) : null,
        concurrencyKey: concurrencyKey.trim() ? concurrencyKey.trim() : null,
        maxConcurrentJobsPerKey: maxPerKey.trim() ? Number(maxPerKey) : null,
      };
      if (process) await api(`/folders/${folderKey}/processes/${encodeURIComponent(process.name)}`, { method: "PATCH", body });
      else await api(`/folders/${folderKey}/processes`, { method: "POST", body: { name, ...body } });
    }, onDone);
  };
  return (
    <form onSubmit={submit}>
      <div class="grid">
        <label>Name<input name="name" required disabled={!!process} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>Priority<select name="priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}><option>Low</option><option>Normal</option><option>High</option></select></label>
      </div>
      <label>Description
        <textarea name="description" rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        <small>Markdown: **bold**, *italic*, `code`, [links](https://…) and lists.</small>
      </label>
      <div class="grid">
        <label>Max duration (seconds, empty: none)<input name="maxDurationSeconds" type="number" min={1} value={maxDuration} onInput={(e) => setMaxDuration(e.currentTarget.value)} /></label>
        <label>Max attempts<input name="maxAttempts" type="number" min={1} max={100} value={maxAttempts} onInput={(e) => setMaxAttempts(e.currentTarget.value)} /></label>
      </div>
      <fieldset class="grid">
        <label>Backoff<select name="backoffType" value={backoffType} onChange={(e) => setBackoffType(e.currentTarget.value)}><option>Exponential</option><option>Fixed</option></select></label>
        <label>Delay (seconds)<input name="delaySeconds" type="number" min={0} value={delay} onInput={(e) => setDelay(e.currentTarget.value)} /></label>
        <label>Max delay (seconds)<input name="maxDelaySeconds" type="number" min={0} value={maxDelay} onInput={(e) => setMaxDelay(e.currentTarget.value)} /></label>
        <label><input name="jitter" type="checkbox" role="switch" checked={jitter} onChange={(e) => setJitter(e.currentTarget.checked)} /> Jitter</label>
      </fieldset>
      <fieldset>
        <legend>Concurrency limits</legend>
        <div class="grid">
          <label>Max jobs at once (empty: no limit)<input name="maxConcurrentJobs" type="number" min={1} max={10000} value={maxConcurrent} onInput={(e) => setMaxConcurrent(e.currentTarget.value)} /></label>
          <label>Concurrency key (JSON Pointer, such as /customerId)<input name="concurrencyKey" placeholder="/customerId" value={concurrencyKey} onInput={(e) => setConcurrencyKey(e.currentTarget.value)} /></label>
          <label>Max jobs at once per key value<input name="maxConcurrentJobsPerKey" type="number" min={1} max={10000} value={maxPerKey} onInput={(e) => setMaxPerKey(e.currentTarget.value)} /></label>
        </div>
        <small>Across all robots and nodes; jobs past a limit stay Pending (ConcurrencyLimit). A job without a value at the key is held by the first limit only.</small>
      </fieldset>
      <label>Default input arguments (JSON object)<textarea name="defaultInputArguments" rows={3} spellcheck={false} value={defaults} onInput={(e) => setDefaults(e.currentTarget.value)} /></label>
      <label>Input schema (JSON Schema, optional)<textarea name="inputSchema" rows={3} spellcheck={false} value={inputSchema} onInput={(e) => setInputSchema(e.currentTarget.value)} /></label>
      <ErrorBox error={action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy} aria-busy={action.busy}>{process ? "Save" : "Create process"}</button>
        <button type="button" class="secondary outline" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
