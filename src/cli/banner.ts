import type { RunningBaton } from "../app.js";

/** What `npm start` prints: the URL, the admin token and curl lines that work when pasted. */
export function banner(running: RunningBaton, demo: boolean): string {
  const { tenantUrl, adminToken, adminPassword } = running;
  // A generated token is printed once, at the first start (SPEC §7); later starts point at
  // its file, and the curl lines read it from there, so they still work when pasted.
  const shown = adminToken !== null && (running.adminTokenIsNew || adminToken === running.bootstrapToken);
  const fromFile = adminToken !== null && !shown;
  const token = shown ? adminToken : fromFile ? `$(cat '${running.adminTokenFile}')` : "<your token>";
  const lines = [
    "",
    `Baton is running at ${running.url}`,
    `  tenant base:  ${tenantUrl}`,
    `  admin token:  ${shown ? adminToken : fromFile ? `(printed at the first start only; it is in ${running.adminTokenFile})` : "(unknown: set BATON_BOOTSTRAP_TOKEN, or create a token with an admin token)"}`,
  ];
  if (adminPassword) lines.push(`  admin password (console user 'admin', shown once): ${adminPassword}`);
  else if (running.adminPasswordFile) lines.push(`  admin password: (printed at the first start only; it is in ${running.adminPasswordFile})`);
  // what this start shows is kept in files too; later starts name the files instead
  const kept = [running.adminTokenIsNew ? running.adminTokenFile : null, adminPassword ? running.adminPasswordFile : null].filter((f): f is string => f !== null);
  if (kept.length) lines.push(`  kept in:      ${kept.join(" and ")} (mode 0600; later starts print where, not what)`);
  lines.push(`  console:      ${tenantUrl}/orchestrator_/  (log in as admin)`);
  lines.push(`  API:          ${tenantUrl}/orchestrator_/api/v1/openapi.json`);
  lines.push(`  reference:    ${tenantUrl}/orchestrator_/api/v1/reference  (try the API in a browser)`);
  lines.push(...publicUrlWarning(running));
  if (demo && running.demoUrls) {
    lines.push(
      "",
      "Try the demo triggers (folder Shared):",
      "",
      "  # AsyncRequestReply: 202 + Location; follow it until the 303 to the output",
      `  curl -i -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '{"hello":"world"}' ${running.demoUrls.echo}`,
      "",
      "  # FireAndForget: 200, no body",
      `  curl -i -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '{"hello":"world","$callMode":"FireAndForget"}' ${running.demoUrls.echo}`,
      "",
      "  # LongPolling: blocks until the result; -L follows the 303 loop of long jobs",
      `  curl -i -L -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '{"seconds":2,"$callMode":"LongPolling"}' ${running.demoUrls.sleep}`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * BATON_PUBLIC_URL names another host than the one this node listens on: every Location
 * (202's status URI, LongPolling's 303 to the wait URI) points there, and a client that
 * called this node directly and follows the redirect drops its Authorization header on the
 * way (requests, fetch and curl -L do across hosts), to get 401 on the wait URI.
 */
export function publicUrlWarning(running: Pick<RunningBaton, "url" | "listenUrl">): string[] {
  const publicHost = hostOf(running.url);
  const listenHost = hostOf(running.listenUrl);
  if (publicHost === null || listenHost === null || publicHost === listenHost) return [];
  return [
    "",
    `  note: BATON_PUBLIC_URL is ${running.url}, but this node listens on ${running.listenUrl}.`,
    `        Redirects (LongPolling's 303 to the wait URI, status URIs) point at ${publicHost}; a client that calls`,
    `        ${listenHost} and follows them drops its Authorization header on the way (curl -L, fetch and requests`,
    "        do across hosts) and gets 401 on the wait URI. Call the public URL, or set the tenant setting",
    "        syncRedirectsRequireAuth to false (signed wait URIs). See docs/deployment.md, BATON_PUBLIC_URL.",
  ];
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
