import { useState } from "preact/hooks";
import { api, can, type Job, type Page, type Process } from "../api.js";
import { navigate, href } from "../router.js";
import { useConsole } from "../session.js";
import { ErrorBox, parseJsonObject, useAction, useLoad } from "../ui.js";

/** Start a job of a process by hand (`POST /jobs`, source `Api`). */
export function StartJob({ folderKey, processName }: { folderKey: string | null; processName: string | null }) {
  const { session, folders: visible } = useConsole();
  // the folders where the user may start jobs (Jobs.Create), not every folder they see
  const folders = visible.filter((f) => can(session, "Jobs.Create", f.key));
  const [folder, setFolder] = useState(folderKey ?? folders.find((f) => f.name === "Shared")?.key ?? folders[0]?.key ?? "");
  const [process, setProcess] = useState(processName ?? "");
  const [args, setArgs] = useState("{}");
  const [priority, setPriority] = useState("");
  const processes = useLoad(() => (folder ? api<Page<Process>>(`/folders/${folder}/processes`) : Promise.resolve({ items: [], nextCursor: null })), [folder]);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const inputArguments = parseJsonObject(args, "Input arguments");
      return api<Job>("/jobs", { method: "POST", body: { folderKey: folder, processName: process, inputArguments, ...(priority ? { priority } : {}) } });
    }, (job) => navigate(href("jobs", job.key)));
  };
  const chosen = processes.data?.items.find((p) => p.name === process);
  return (
    <section>
      <p><a href="#/jobs">← Jobs</a></p>
      <h1>Start a job</h1>
      {folders.length === 0 ? <p class="notice" data-testid="start-denied">Your roles do not let you start jobs (Jobs.Create) in any folder.</p> : (
      <form onSubmit={submit}>
        <div class="grid">
          <label>Folder
            <select name="folder" value={folder} onChange={(e) => { setFolder(e.currentTarget.value); setProcess(""); }} required>
              {folders.map((f) => <option key={f.key} value={f.key}>{f.name}</option>)}
            </select>
          </label>
          <label>Process
            <select name="process" value={process} onChange={(e) => { setProcess(e.currentTarget.value); }} required>
              <option value="" disabled>Choose a process</option>
              {processes.data?.items.map((p) => <option key={p.id} value={p.name}>{p.name}</option>)}
            </select>
          </label>
          <label>Priority
            <select name="priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
              <option value="">The process's</option><option>Low</option><option>Normal</option><option>High</option>
            </select>
          </label>
        </div>
        {processes.data && processes.data.items.length === 0 ? <p class="muted">This folder has no processes yet: create one on the Processes page.</p> : null}
        <label>Input arguments (JSON object)
          <textarea name="inputArguments" rows={5} value={args} onInput={(e) => setArgs(e.currentTarget.value)} spellcheck={false} />
          {chosen ? <small>Defaults of {chosen.name}: <code>{JSON.stringify(chosen.defaultInputArguments)}</code></small> : null}
        </label>
        <ErrorBox error={processes.error ?? action.error} />
        <button type="submit" disabled={action.busy || !process} aria-busy={action.busy}>Start</button>
      </form>
      )}
    </section>
  );
}
