import { useState } from "preact/hooks";
import { api, can, type JobListItem, type Page, type TimeTrigger, type TimeTriggerPreview } from "../api.js";
import { href, navigate } from "../router.js";
import { folderName, useConsole } from "../session.js";
import { ConfirmButton, Empty, ErrorBox, Loading, StateBadge, Time, useAction, useLoad } from "../ui.js";
import { CronPreview, TimeTriggerForm } from "./TimeTriggerForm.js";

/** A time trigger: what it runs and when, its next 5 runs, and the jobs it started. */
export function TimeTriggerDetail({ id }: { id: string }) {
  const { session, folders } = useConsole();
  const trigger = useLoad(() => api<TimeTrigger>(`/time-triggers/${encodeURIComponent(id)}`), [id]);
  const preview = useLoad(() => api<TimeTriggerPreview>(`/time-triggers/${encodeURIComponent(id)}/preview?count=5`), [id, trigger.data?.updatedAt]);
  const jobs = useLoad(() => api<Page<JobListItem>>(`/jobs?timeTriggerId=${encodeURIComponent(id)}&limit=20`), [id]);
  const [editing, setEditing] = useState(false);
  const action = useAction();
  const back = <p><a href={trigger.data ? `#/time-triggers?folder=${trigger.data.folderKey}` : "#/time-triggers"}>← Time triggers</a></p>;
  if (!trigger.data) return trigger.error ? <>{back}<ErrorBox error={trigger.error} onRetry={trigger.reload} /></> : <Loading />;
  const t = trigger.data;
  const mayEdit = can(session, "Triggers.Edit", t.folderKey);
  const setEnabled = (enabled: boolean) => action.run(async () => { await api(`/time-triggers/${t.id}`, { method: "PATCH", body: { enabled } }); trigger.reload(); });
  const remove = () => action.run(async () => { await api(`/time-triggers/${t.id}`, { method: "DELETE" }); navigate(`#/time-triggers?folder=${t.folderKey}`); });
  return (
    <section>
      {back}
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
      {editing ? <article><TimeTriggerForm folderKey={t.folderKey} trigger={t} onSaved={() => { setEditing(false); trigger.reload(); }} onCancel={() => setEditing(false)} /></article> : null}
      <dl class="facts">
        <dt>Schedule</dt><dd>{t.description ?? "–"} · <code>{t.cron}</code> in {t.timeZone}</dd>
        <dt>Process</dt><dd>{t.processName} in {folderName(folders, t.folderKey)}</dd>
        <dt>Next run</dt><dd data-testid="next-run">{t.enabled ? <Time at={t.nextRunAt} /> : "none while disabled"}</dd>
        <dt>Job priority</dt><dd>{t.priority}</dd>
        <dt>Missed runs</dt><dd>{t.missedRunPolicy === "RunOnce" ? "run once for all of them" : "skipped"}</dd>
        <dt>Arguments</dt><dd><code>{JSON.stringify(t.arguments)}</code></dd>
      </dl>
      <h2>Next 5 runs</h2>
      <ErrorBox error={preview.error} />
      {preview.data ? <CronPreview preview={preview.data} /> : null}
      <h2>Jobs</h2>
      <ErrorBox error={jobs.error} onRetry={jobs.reload} />
      {jobs.data?.items.length === 0 ? <Empty>No jobs yet.</Empty> : null}
      {jobs.data && jobs.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped" data-testid="time-trigger-jobs">
            <thead><tr><th>Slot</th><th>State</th><th>Created</th><th>Job</th></tr></thead>
            <tbody>
              {jobs.data.items.map((j) => (
                <tr key={j.key}>
                  <td><Time at={j.slot} /></td>
                  <td><StateBadge state={j.state} /></td>
                  <td><Time at={j.createdAt} /></td>
                  <td><a href={href("jobs", j.key)}><code>{j.key.slice(0, 8)}</code></a></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
