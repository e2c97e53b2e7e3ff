import { useState } from "preact/hooks";
import { api, CALL_MODES, can, VERBS, type Page, type Process, type Trigger } from "../api.js";
import { useConsole } from "../session.js";
import { ErrorBox, parseJsonObject, useAction, useLoad } from "../ui.js";

/** Create (no `trigger`) or edit an API trigger. */
export function TriggerForm({ trigger, onSaved, onCancel }: { trigger?: Trigger; onSaved: (t: Trigger) => void; onCancel?: () => void }) {
  const { session, folders: visible } = useConsole();
  // a new trigger goes in a folder where the user may edit triggers
  const folders = trigger ? visible : visible.filter((f) => can(session, "Triggers.Edit", f.key));
  const [folderKey, setFolderKey] = useState(trigger?.folderKey ?? folders.find((f) => f.name === "Shared")?.key ?? folders[0]?.key ?? "");
  const [name, setName] = useState(trigger?.name ?? "");
  const [slug, setSlug] = useState(trigger?.slug ?? "");
  const [verb, setVerb] = useState<string>(trigger?.verb ?? "POST");
  const [processName, setProcessName] = useState(trigger?.processName ?? "");
  const [callMode, setCallMode] = useState<string>(trigger?.callMode ?? "AsyncRequestReply");
  const [priority, setPriority] = useState<string>(trigger?.priority ?? "Inherit");
  const [enabled, setEnabled] = useState(trigger?.enabled ?? true);
  const [defaults, setDefaults] = useState(JSON.stringify(trigger?.defaultArguments ?? {}, null, 2));
  const processes = useLoad(() => (folderKey ? api<Page<Process>>(`/folders/${folderKey}/processes`) : Promise.resolve({ items: [], nextCursor: null })), [folderKey]);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const body = { name, slug, verb, processName, callMode, priority, enabled, defaultArguments: parseJsonObject(defaults, "Default arguments") };
      return trigger
        ? api<Trigger>(`/triggers/${trigger.id}`, { method: "PATCH", body })
        : api<Trigger>(`/folders/${folderKey}/triggers`, { method: "POST", body });
    }, onSaved);
  };
  return (
    <form onSubmit={submit} aria-label={trigger ? "Edit trigger" : "New trigger"}>
      <div class="grid">
        <label>Folder
          <select name="folderKey" value={folderKey} disabled={!!trigger} onChange={(e) => { setFolderKey(e.currentTarget.value); setProcessName(""); }}>
            {folders.map((f) => <option key={f.key} value={f.key}>{f.name}</option>)}
          </select>
        </label>
        <label>Process
          <select name="processName" value={processName} required onChange={(e) => setProcessName(e.currentTarget.value)}>
            <option value="" disabled>Choose a process</option>
            {processes.data?.items.map((p) => <option key={p.id} value={p.name}>{p.name}</option>)}
          </select>
        </label>
      </div>
      <div class="grid">
        <label>Name<input name="name" required maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>Slug<input name="slug" required pattern="[A-Za-z0-9._\-]+" title="letters, digits, -, _ and ." value={slug} onInput={(e) => setSlug(e.currentTarget.value)} /></label>
      </div>
      <div class="grid">
        <label>Verb
          <select name="verb" value={verb} onChange={(e) => setVerb(e.currentTarget.value)}>{VERBS.map((v) => <option key={v}>{v}</option>)}</select>
        </label>
        <label>Default call mode
          <select name="callMode" value={callMode} onChange={(e) => setCallMode(e.currentTarget.value)}>{CALL_MODES.map((m) => <option key={m}>{m}</option>)}</select>
        </label>
        <label>Job priority
          <select name="priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>{["Inherit", "Low", "Normal", "High"].map((p) => <option key={p}>{p}</option>)}</select>
        </label>
      </div>
      <label>Default arguments (JSON object)
        <textarea name="defaultArguments" rows={3} spellcheck={false} value={defaults} onInput={(e) => setDefaults(e.currentTarget.value)} />
      </label>
      <label><input type="checkbox" role="switch" name="enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Enabled</label>
      <ErrorBox error={processes.error ?? action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy} aria-busy={action.busy}>{trigger ? "Save" : "Create trigger"}</button>
        {onCancel ? <button type="button" class="secondary outline" onClick={onCancel}>Cancel</button> : null}
      </div>
    </form>
  );
}
