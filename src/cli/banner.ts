import type { RunningBaton } from "../app.js";

/** What `npm start` prints: the URL, the admin token and curl lines that work when pasted. */
export function banner(running: RunningBaton, demo: boolean): string {
  const { tenantUrl, adminToken, adminPassword } = running;
  const token = adminToken ?? "<your token>";
  const lines = [
    "",
    `Baton is running at ${running.url}`,
    `  tenant base:  ${tenantUrl}`,
    `  admin token:  ${adminToken ?? "(not shown again: see the admin-token file in the data dir, or set BATON_BOOTSTRAP_TOKEN)"}`,
  ];
  if (adminPassword) lines.push(`  admin password (console user 'admin', shown once): ${adminPassword}`);
  lines.push(`  API:          ${tenantUrl}/orchestrator_/api/v1/openapi.json`);
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
