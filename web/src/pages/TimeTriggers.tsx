import { useState } from "preact/hooks";
import { api, can, type Page, type TimeTrigger } from "../api.js";
import { href, navigate } from "../router.js";
import { useConsole } from "../session.js";
import { Empty, ErrorBox, Loading, Time, useAction, useLoad } from "../ui.js";
import { TimeTriggerForm } from "./TimeTriggerForm.js";

/** A folder's time triggers (`#/time-triggers?folder=<key>`), each with its next run. */
export function TimeTriggers({ folderKey: chosen }: { folderKey: string | null }) {
  const { session, folders } = useConsole();
  const visible = folders.filter((f) => can(session, "Triggers.View", f.key));
  const folderKey = chosen ?? visible.find((f) => f.name === "Shared")?.key ?? visible[0]?.key ?? "";
  const triggers = useLoad(() => (folderKey ? api<Page<TimeTrigger>>(`/folders/${folderKey}/time-triggers`) : Promise.resolve({ items: [], nextCursor: null })), [folderKey]);
  const [creating, setCreating] = useState(false);
  const toggle = useAction();
  const setEnabled = (t: TimeTrigger, enabled: boolean) => toggle.run(async () => {
    await api(`/time-triggers/${t.id}`, { method: "PATCH", body: { enabled } });
    triggers.reload();
  });
  const mayCreate = can(session, "Triggers.Edit", folderKey);
  return (
    <section>
      <div class="page-head">
        <h1>Time triggers</h1>
        {mayCreate && !creating ? <button type="button" onClick={() => setCreating(true)}>New time trigger</button> : null}
      </div>
      <label>Folder
        <select name="folder" value={folderKey} onChange={(e) => navigate(`#/time-triggers?folder=${encodeURIComponent(e.currentTarget.value)}`)}>
          {visible.map((f) => <option key={f.key} value={f.key}>{f.name}</option>)}
        </select>
      </label>
      {creating ? (
        <article>
          <h2>New time trigger</h2>
          <TimeTriggerForm folderKey={folderKey} onSaved={(t) => navigate(href("time-triggers", t.id))} onCancel={() => setCreating(false)} />
        </article>
      ) : null}
      <ErrorBox error={triggers.error ?? toggle.error} onRetry={triggers.reload} />
      {!triggers.data && !triggers.error ? <Loading /> : null}
      {triggers.data?.items.length === 0 ? <Empty>No time triggers in this folder.{mayCreate ? " Create one to start a process on a schedule." : ""}</Empty> : null}
      {triggers.data && triggers.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>Name</th><th>Process</th><th>Schedule</th><th>Next run</th><th>Enabled</th></tr></thead>
            <tbody>
              {triggers.data.items.map((t) => (
                <tr key={t.id} data-time-trigger={t.name}>
                  <td><a href={href("time-triggers", t.id)}>{t.name}</a></td>
                  <td>{t.processName}</td>
                  <td title={`${t.cron} (${t.timeZone})`}>{t.description ?? <><code>{t.cron}</code> ({t.timeZone})</>}</td>
                  <td data-testid="next-run"><Time at={t.nextRunAt} /></td>
                  <td>
                    <input type="checkbox" role="switch" aria-label={`${t.name} enabled`} checked={t.enabled} disabled={!can(session, "Triggers.Edit", t.folderKey) || toggle.busy}
                      onChange={(e) => setEnabled(t, e.currentTarget.checked)} />
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
