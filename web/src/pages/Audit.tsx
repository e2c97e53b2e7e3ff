import { useState } from "preact/hooks";
import { api, type AuditEntry, type Page } from "../api.js";
import { Empty, ErrorBox, Loading, Time, useLoad } from "../ui.js";

const PAGE_SIZE = 50;

export function Audit() {
  const [action, setAction] = useState("");
  const [since, setSince] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const entries = useLoad(() => api<Page<AuditEntry>>("/audit", {
    query: { limit: PAGE_SIZE, cursor, action: action.trim(), since: since ? new Date(since).toISOString() : undefined },
  }), [cursor, action, since]);
  const reset = () => { setCursors([]); setCursor(null); };
  return (
    <section>
      <h1>Audit</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>Action<input name="action" placeholder="trigger.create or trigger.*" value={action} onChange={(e) => { setAction(e.currentTarget.value); reset(); }} /></label>
        <label>Since<input name="since" type="datetime-local" value={since} onChange={(e) => { setSince(e.currentTarget.value); reset(); }} /></label>
      </form>
      <ErrorBox error={entries.error} onRetry={entries.reload} />
      {!entries.data && !entries.error ? <Loading /> : null}
      {entries.data?.items.length === 0 ? <Empty>No audit entries{action || since ? " match these filters" : " yet"}.</Empty> : null}
      {entries.data && entries.data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="striped">
            <thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Details</th><th>From</th></tr></thead>
            <tbody>
              {entries.data.items.map((e) => (
                <tr key={e.seq}>
                  <td><Time at={e.at} /></td>
                  <td>{e.actor.name ?? e.actor.id ?? "–"} <small class="muted">{e.actor.kind}</small></td>
                  <td><code>{e.action}</code></td>
                  <td><code>{e.target ?? "–"}</code></td>
                  <td class="details"><code>{JSON.stringify(e.details)}</code></td>
                  <td>{e.sourceIp ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div class="pager">
        <button type="button" class="secondary" disabled={cursors.length === 0 && cursor === null} onClick={() => { const c = [...cursors]; const p = c.pop(); setCursors(c); setCursor(p ?? null); }}>Previous</button>
        <span>Page {cursors.length + 1}</span>
        <button type="button" class="secondary" disabled={!entries.data?.nextCursor} onClick={() => { setCursors([...cursors, cursor]); setCursor(entries.data!.nextCursor); }}>Next</button>
      </div>
    </section>
  );
}
