import { useState } from "preact/hooks";
import { api, can, JOB_STATES, type JobListItem, type Page, type Trigger } from "../api.js";
import { useLive } from "../live.js";
import { href } from "../router.js";
import { folderName, useConsole } from "../session.js";
import { Empty, ErrorBox, formatDuration, PendingReason, StateBadge, Time, useLoad, useNow } from "../ui.js";

const PAGE_SIZE = 25;

interface Filters { state: string; folderKey: string; processName: string; triggerId: string; createdAfter: string; createdBefore: string }
const NO_FILTERS: Filters = { state: "", folderKey: "", processName: "", triggerId: "", createdAfter: "", createdBefore: "" };

/** datetime-local (the browser's time zone) → ISO 8601 */
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/**
 * The jobs of the tenant, newest first, one page at a time (the API's `limit` and `cursor`:
 * never all of them); the page shown is read again on every live event.
 */
export function Jobs({ query }: { query: URLSearchParams }) {
  const { session, folders } = useConsole();
  // `#/jobs?triggerId=…` (and the other filters' names) opens the list filtered
  const [filters, setFilters] = useState<Filters>(() => {
    const f = { ...NO_FILTERS };
    for (const k of Object.keys(NO_FILTERS) as (keyof Filters)[]) f[k] = query.get(k) ?? "";
    return f;
  });
  // what is typed in the process box, applied on Enter or when leaving it (a live re-render keeps it)
  const [processDraft, setProcessDraft] = useState(filters.processName);
  // cursors of the pages before the current one: "Previous" pops one
  const [cursors, setCursors] = useState<(string | null)[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const jobs = useLoad(() => api<Page<JobListItem>>("/jobs", {
    query: {
      limit: PAGE_SIZE, cursor, state: filters.state, folderKey: filters.folderKey, processName: filters.processName.trim(),
      triggerId: filters.triggerId, createdAfter: iso(filters.createdAfter), createdBefore: iso(filters.createdBefore),
    },
  }), [cursor, filters]);
  const triggers = useLoad(() => (can(session, "Triggers.View") ? api<Page<Trigger>>("/triggers") : Promise.resolve({ items: [], nextCursor: null })), []);
  useLive(jobs.reload);
  // a running job's duration goes on: tick while the page shows one
  const now = useNow(1000, jobs.data?.items.some((j) => j.startedAt && !j.endedAt) ?? false);

  const set = (patch: Partial<Filters>) => {
    const next = { ...filters, ...patch };
    setFilters(next); setProcessDraft(next.processName); setCursors([]); setCursor(null);
  };
  const next = () => { if (jobs.data?.nextCursor) { setCursors([...cursors, cursor]); setCursor(jobs.data.nextCursor); } };
  const previous = () => { const c = [...cursors]; const prev = c.pop(); setCursors(c); setCursor(prev ?? null); };
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);
  const triggerName = (id: string | null) => (id ? triggers.data?.items.find((t) => t.id === id)?.name ?? id.slice(0, 8) : "–");

  return (
    <section>
      <div class="page-head">
        <h1>Jobs</h1>
        {can(session, "Jobs.Create") ? <a role="button" href="#/start">Start a job</a> : null}
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>State
          <select name="state" value={filters.state} onChange={(e) => set({ state: e.currentTarget.value })}>
            <option value="">Any</option>
            <option value="Pending,Running,Stopping,Terminating">Not final</option>
            {JOB_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>Folder
          <select name="folderKey" value={filters.folderKey} onChange={(e) => set({ folderKey: e.currentTarget.value })}>
            <option value="">Any</option>
            {folders.map((f) => <option key={f.key} value={f.key}>{f.name}</option>)}
          </select>
        </label>
        <label>Process
          <input name="processName" placeholder="name, then Enter" value={processDraft}
            onInput={(e) => setProcessDraft(e.currentTarget.value)}
            onChange={() => { if (processDraft !== filters.processName) set({ processName: processDraft }); }}
            onKeyDown={(e) => { if (e.key === "Enter" && processDraft !== filters.processName) set({ processName: processDraft }); }} />
        </label>
        <label>Trigger
          <select name="triggerId" value={filters.triggerId} onChange={(e) => set({ triggerId: e.currentTarget.value })}>
            <option value="">Any</option>
            {triggers.data?.items.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
          </select>
        </label>
        <label>Created after
          <input name="createdAfter" type="datetime-local" value={filters.createdAfter} onInput={(e) => set({ createdAfter: e.currentTarget.value })} />
        </label>
        <label>Created before
          <input name="createdBefore" type="datetime-local" value={filters.createdBefore} onInput={(e) => set({ createdBefore: e.currentTarget.value })} />
        </label>
        {filtered ? <button type="button" class="secondary outline" onClick={() => set(NO_FILTERS)}>Clear filters</button> : null}
      </form>
      <ErrorBox error={jobs.error} onRetry={jobs.reload} />
      {jobs.data && jobs.data.items.length === 0 ? (
        <Empty>{jobs.data.nextCursor ? "No job matches on this page (a filtered page looks at a bounded number of jobs): Next looks further back." : filtered ? "No job matches these filters." : cursor ? "No more jobs." : "No jobs yet. Invoke a trigger, or start a job of a process by hand."}</Empty>
      ) : null}
      {jobs.data && jobs.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped compact" data-testid="jobs-table">
            <thead><tr><th>State</th><th>Key</th><th>Process</th><th>Folder</th><th class="narrow-hide">Source</th><th class="narrow-hide">Trigger</th><th class="narrow-hide">Robot</th><th>Created</th><th>Duration</th><th class="narrow-hide">Info</th></tr></thead>
            <tbody>
              {jobs.data.items.map((j) => (
                <tr key={j.key} data-job={j.key}>
                  <td><StateBadge state={j.state} /><PendingReason reason={j.pendingReason} /></td>
                  <td class="key"><a href={href("jobs", j.key)} title={j.key} data-testid="job-key"><code>{j.key.slice(0, 8)}</code></a></td>
                  <td class="clip"><a href={href("jobs", j.key)} title={j.processName}>{j.processName}</a></td>
                  <td class="clip" title={folderName(folders, j.folderKey)}>{folderName(folders, j.folderKey)}</td>
                  <td class="narrow-hide">{j.source}</td>
                  <td class="clip narrow-hide" title={triggerName(j.triggerId)}>{triggerName(j.triggerId)}</td>
                  <td class="clip narrow-hide" title={j.robot ?? undefined}>{j.robot ?? "–"}</td>
                  <td><Time at={j.createdAt} /></td>
                  <td data-testid="job-duration"><Duration job={j} now={now} /></td>
                  <td class="info clip narrow-hide" title={j.info ?? undefined}>{j.info ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div class="pager">
        <button type="button" class="secondary" onClick={previous} disabled={cursors.length === 0 && cursor === null}>Previous</button>
        <span>Page {cursors.length + 1}</span>
        <button type="button" class="secondary" onClick={next} disabled={!jobs.data?.nextCursor}>Next</button>
      </div>
    </section>
  );
}

/** ended − started; while running, how long so far; before it starts, nothing */
function Duration({ job, now }: { job: JobListItem; now: number }) {
  if (!job.startedAt) return <span class="muted">–</span>;
  if (job.endedAt) return <>{formatDuration(Date.parse(job.endedAt) - Date.parse(job.startedAt))}</>;
  return <span class="running" title={`running since ${job.startedAt}`}>running for {formatDuration(now - Date.parse(job.startedAt))}</span>;
}
