import { recordSecret } from "./logCapture.js";

/**
 * A vitest setup file: every secret a test obtains or sends through `fetch` is recorded for
 * the end-of-run log scan (test/globalSetup.ts), whatever its format: tokens, robot keys,
 * client secrets and access tokens in answers, session cookies, passwords in requests.
 */
const SECRET_FIELDS = /"(?:token|key|clientSecret|client_secret|access_token|password|newPassword|currentPassword|csrfToken)"\s*:\s*"([^"]{6,})"/g;
const ISSUING = /\/(?:tokens|robots|external-apps|connect\/token|rotate|secret|users|session)\b/;
const original = globalThis.fetch;

function record(text: string): void {
  for (const m of text.matchAll(SECRET_FIELDS)) recordSecret(m[1]);
  for (const m of text.matchAll(/(?:^|&)(?:client_secret|password)=([^&]{6,})/g)) recordSecret(decodeURIComponent(m[1]!.replace(/\+/g, " ")));
}

globalThis.fetch = async function fetchRecordingSecrets(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  if (typeof init?.body === "string" && /assword|secret/.test(init.body)) record(init.body);
  const res = await original(input, init);
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  for (const cookie of res.headers.getSetCookie()) {
    const m = /^baton_session=([^;]+)/.exec(cookie);
    if (m) recordSecret(m[1]);
  }
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  if (method !== "GET" && res.status < 300 && ISSUING.test(url) && /json/.test(res.headers.get("content-type") ?? "")) record(await res.clone().text());
  return res;
};
