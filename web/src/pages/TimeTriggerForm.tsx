import { useEffect, useState } from "preact/hooks";
import { api, type Page, type Process, type TimeTrigger, type TimeTriggerPreview } from "../api.js";
import { ErrorBox, parseJsonObject, Time, useAction, useLoad } from "../ui.js";

/** how long the form waits after the last keystroke before it previews the cron */
const PREVIEW_DELAY_MS = 300;

/** The cron in words (when it has a common shape) and its next runs, from the server's croner. */
export function CronPreview({ preview }: { preview: TimeTriggerPreview }) {
  return (
    <div data-testid="cron-preview">
      {preview.description ? <p data-testid="cron-description"><strong>{preview.description}</strong></p> : null}
      <p class="muted">Next runs:</p>
      <ol data-testid="next-runs">
        {preview.items.map((r) => <li key={r.at}><Time at={r.at} /> <small class="muted">({r.localTime} in the trigger's zone)</small></li>)}
      </ol>
    </div>
  );
}

/** Create (no `trigger`) or edit a time trigger. */
export function TimeTriggerForm({ folderKey, trigger, onSaved, onCancel }: { folderKey: string; trigger?: TimeTrigger; onSaved: (t: TimeTrigger) => void; onCancel?: () => void }) {
  const [name, setName] = useState(trigger?.name ?? "");
  const [processName, setProcessName] = useState(trigger?.processName ?? "");
  const [cron, setCron] = useState(trigger?.cron ?? "0 9 * * MON-FRI");
  const [timeZone, setTimeZone] = useState(trigger?.timeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"));
  const [priority, setPriority] = useState<string>(trigger?.priority ?? "Inherit");
  const [missedRunPolicy, setMissedRunPolicy] = useState<string>(trigger?.missedRunPolicy ?? "Skip");
  const [enabled, setEnabled] = useState(trigger?.enabled ?? true);
  const [args, setArgs] = useState(JSON.stringify(trigger?.arguments ?? {}, null, 2));
  // the preview follows the cron and zone as they are typed, once typing pauses
  const [typed, setTyped] = useState({ cron, timeZone });
  useEffect(() => {
    const timer = setTimeout(() => setTyped({ cron, timeZone }), PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [cron, timeZone]);
  const preview = useLoad(
    () => api<TimeTriggerPreview>(`/time-trigger-preview?${new URLSearchParams({ cron: typed.cron, timeZone: typed.timeZone, count: "5" }).toString()}`),
    [typed.cron, typed.timeZone],
  );
  const processes = useLoad(() => api<Page<Process>>(`/folders/${folderKey}/processes`), [folderKey]);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const body = { name, processName, cron, timeZone, priority, missedRunPolicy, enabled, arguments: parseJsonObject(args, "Arguments") };
      return trigger
        ? api<TimeTrigger>(`/time-triggers/${trigger.id}`, { method: "PATCH", body })
        : api<TimeTrigger>(`/folders/${folderKey}/time-triggers`, { method: "POST", body });
    }, onSaved);
  };
  return (
    <form onSubmit={submit} aria-label={trigger ? "Edit time trigger" : "New time trigger"}>
      <div class="grid">
        <label>Name<input name="name" required maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>Process
          <select name="processName" value={processName} required onChange={(e) => setProcessName(e.currentTarget.value)}>
            <option value="" disabled>Choose a process</option>
            {processes.data?.items.map((p) => <option key={p.id} value={p.name}>{p.name}</option>)}
          </select>
        </label>
      </div>
      <div class="grid">
        <label>Cron (5 fields, or 6 with seconds first)
          <input name="cron" required spellcheck={false} value={cron} onInput={(e) => setCron(e.currentTarget.value)} aria-invalid={preview.error ? true : undefined} />
        </label>
        <label>Time zone (IANA)
          <input name="timeZone" required spellcheck={false} value={timeZone} onInput={(e) => setTimeZone(e.currentTarget.value)} />
        </label>
      </div>
      {preview.data && !preview.error ? <CronPreview preview={preview.data} /> : null}
      <ErrorBox error={preview.error} />
      <div class="grid">
        <label>Job priority
          <select name="priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>{["Inherit", "Low", "Normal", "High"].map((p) => <option key={p}>{p}</option>)}</select>
        </label>
        <label>Runs missed while Baton was down
          <select name="missedRunPolicy" value={missedRunPolicy} onChange={(e) => setMissedRunPolicy(e.currentTarget.value)}>
            <option value="Skip">Skip them</option>
            <option value="RunOnce">Run once for all of them</option>
          </select>
        </label>
      </div>
      <label>Arguments (JSON object)
        <textarea name="arguments" rows={3} spellcheck={false} value={args} onInput={(e) => setArgs(e.currentTarget.value)} />
      </label>
      <label><input type="checkbox" role="switch" name="enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Enabled</label>
      <ErrorBox error={processes.error ?? action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy} aria-busy={action.busy}>{trigger ? "Save" : "Create time trigger"}</button>
        {onCancel ? <button type="button" class="secondary outline" onClick={onCancel}>Cancel</button> : null}
      </div>
    </form>
  );
}
