import { useEffect, useRef, useState } from "preact/hooks";
import { api, can, isFinalJobState, type Job, type JobDetail as JobWithAttempts, type LogLine, type Page } from "../api.js";
import { useLive } from "../live.js";
import { folderName, useConsole } from "../session.js";
import { ConfirmButton, ErrorBox, formatDuration, JsonView, Loading, PENDING_REASON_TEXT, StateBadge, Time, useAction, useLoad } from "../ui.js";

/** One job: its arguments, result, a timeline of its states and its logs, live. */
export function JobDetail({ jobKey }: { jobKey: string }) {
  const { session, folders } = useConsole();
  const job = useLoad(() => api<JobWithAttempts>(`/jobs/${encodeURIComponent(jobKey)}`), [jobKey]);
  const logs = useLogs(jobKey);
  const stop = useAction();
  useLive(() => {
    // a final job never changes again: nothing to read
    if (job.data && isFinalJobState(job.data.state)) return;
    job.reload();
    logs.reload();
  });

  if (!job.data) return job.error ? <ErrorBox error={job.error} onRetry={job.reload} /> : <Loading />;
  const j = job.data;
  const final = isFinalJobState(j.state);
  const mayStop = can(session, "Jobs.Edit", j.folderKey) && !final;
  const doStop = (strategy: "SoftStop" | "Kill") => stop.run(async () => {
    await api(`/jobs/${encodeURIComponent(j.key)}/stop`, { method: "POST", body: { strategy } });
    job.reload();
  });

  return (
    <section>
      <p><a href="#/jobs">← Jobs</a></p>
      <div class="page-head">
        <h1>{j.processName} <StateBadge state={j.state} /></h1>
        {mayStop ? (
          <div class="actions">
            <button type="button" class="secondary" disabled={stop.busy || j.state === "Stopping" || j.state === "Terminating"} onClick={() => doStop("SoftStop")}
              title="Ask the robot to stop the job cleanly">SoftStop</button>
            <ConfirmButton label="Kill" confirmLabel="Kill now" title="End the job at once (asks again)" disabled={stop.busy || j.state === "Terminating"} onConfirm={() => doStop("Kill")} />
          </div>
        ) : null}
      </div>
      <ErrorBox error={stop.error} />
      <ErrorBox error={job.error} />
      <dl class="facts">
        <dt>Key</dt><dd><code>{j.key}</code></dd>
        <dt>Folder</dt><dd>{folderName(folders, j.folderKey)}</dd>
        <dt>Source</dt><dd>{j.source}{j.triggerId ? <> · <a href={`#/triggers/${j.triggerId}`}>trigger</a></> : null}
          {j.timeTriggerId ? <> · <a href={`#/time-triggers/${j.timeTriggerId}`}>time trigger</a>, slot <Time at={j.slot} /></> : null}</dd>
        <dt>Call mode</dt><dd>{j.callMode}</dd>
        <dt>Priority</dt><dd>{j.priority}</dd>
        <dt>Robot</dt><dd>{j.robot ?? "–"}</dd>
        <dt>Attempt</dt><dd>{j.attempt}</dd>
        {j.retryAt ? <><dt>Retrying at</dt><dd data-testid="retry-at"><Time at={j.retryAt} /></dd></> : null}
        <dt>Info</dt><dd>{j.info ?? "–"}</dd>
        {j.pendingReason ? <><dt>Waiting</dt><dd data-testid="pending-reason">{j.pendingReason}: {PENDING_REASON_TEXT[j.pendingReason] ?? ""}</dd></> : null}
      </dl>
      <h2>Timeline</h2>
      <ol class="timeline" data-testid="timeline">
        <li><strong>Pending</strong> · created <Time at={j.createdAt} /></li>
        {j.startedAt ? <li><strong>Running</strong> · started <Time at={j.startedAt} />{j.robot ? ` on ${j.robot}` : ""}</li> : null}
        {j.state === "Stopping" || j.state === "Terminating" ? <li><strong>{j.state}</strong> · stop requested</li> : null}
        {j.endedAt ? <li><strong>{j.state}</strong> · ended <Time at={j.endedAt} />{duration(j)}</li> : !final ? <li class="muted">{j.state}: not final yet</li> : null}
      </ol>
      {j.attempts.length > 1 || j.retryAt ? <Attempts job={j} /> : null}
      <div class="grid two">
        <div><h2>Input arguments</h2><JsonView value={j.inputArguments} label="Input arguments" /></div>
        <div>
          <h2>Output arguments</h2>
          {j.outputArguments ? <JsonView value={j.outputArguments} label="Output arguments" /> : <p class="muted">{final ? "None." : "Once the job is Successful."}</p>}
        </div>
      </div>
      {j.error ? (
        <>
          <h2>Error</h2>
          <article class="error-box" data-testid="job-error"><strong>{j.error.code}</strong><p>{j.error.message}</p>{j.error.details !== undefined ? <JsonView value={j.error.details} /> : null}</article>
        </>
      ) : null}
      <h2>Logs</h2>
      <ErrorBox error={logs.error} />
      {logs.lines.length === 0 ? <p class="muted">{final ? "The job logged nothing." : "No log lines yet; they appear here as the robot sends them."}</p> : (
        <pre class="logs" data-testid="logs">{logs.lines.map((l) => (
          <div key={l.seq} class={`log-${l.level}`}><span class="muted">{new Date(l.at).toLocaleTimeString()}</span> {l.message}</div>
        ))}</pre>
      )}
    </section>
  );
}

/** Every run of the job: the failed (or handed back) ones it was retried after, then the current or last one. */
function Attempts({ job }: { job: JobWithAttempts }) {
  return (
    <>
      <h2>Attempts</h2>
      <table class="striped" data-testid="attempts">
        <thead><tr><th>#</th><th>Robot</th><th>Started</th><th>Ended</th><th>Outcome</th><th>Error</th></tr></thead>
        <tbody>
          {job.attempts.map((a) => (
            <tr key={a.attempt}>
              <td>{a.attempt}</td>
              <td>{a.robot ?? "–"}</td>
              <td>{a.startedAt ? <Time at={a.startedAt} /> : "–"}</td>
              <td>{a.endedAt ? <Time at={a.endedAt} /> : "–"}</td>
              <td>{a.outcome === "HandedBack" ? "Handed back" : <StateBadge state={a.outcome} />}</td>
              <td>{a.error ? <><strong>{a.error.code}</strong> {a.error.message}</> : "–"}</td>
            </tr>
          ))}
          {job.retryAt ? <tr class="muted"><td>{job.attempt + 1}</td><td colSpan={5}>Retrying at <Time at={job.retryAt} /></td></tr> : null}
        </tbody>
      </table>
    </>
  );
}

function duration(j: Job): string {
  if (!j.endedAt) return "";
  return ` · ${formatDuration(Date.parse(j.endedAt) - Date.parse(j.startedAt ?? j.createdAt))}`;
}

/** The job's log lines, read on from the last full page on every reload (lines never change). */
function useLogs(jobKey: string) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<unknown>(null);
  const state = useRef<{ cursor: string | null; running: boolean; again: boolean; seen: Map<number, LogLine> }>({ cursor: null, running: false, again: false, seen: new Map() });
  const read = async () => {
    const s = state.current;
    s.running = true;
    try {
      do {
        s.again = false;
        for (;;) {
          const page = await api<Page<LogLine>>(`/jobs/${encodeURIComponent(jobKey)}/logs`, { query: { limit: 1000, cursor: s.cursor } });
          for (const l of page.items) s.seen.set(l.seq, l);
          if (!page.nextCursor) break;
          s.cursor = page.nextCursor;
        }
      } while (s.again);
      setLines([...s.seen.values()].sort((a, b) => a.seq - b.seq));
    } finally {
      s.running = false;
    }
  };
  // called from live events and the first render, which do not wait: the failure is the page's to show
  const reload = () => {
    if (state.current.running) { state.current.again = true; return; }
    read().then(() => setError(null), (err: unknown) => setError(err));
  };
  useEffect(reload, []);
  return { lines, error, reload };
}
