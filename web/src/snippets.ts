import type { CallMode } from "./api.js";

/**
 * Ready-to-run calls of an API trigger in each call mode (SPEC §2), reading the token from
 * the environment variable BATON_TOKEN (a personal access token or an OAuth access token).
 *
 * Each one follows the call modes' redirects with GET, whatever the trigger's verb, and
 * whether the tenant's redirectStatusCode makes them 303 or 302; and each stops at the first
 * error answer (a wrong token, a faulted job...) and prints its problem (status, code,
 * detail), exiting non-zero where it runs as a program. test/snippets.test.ts runs them all.
 *
 * The invocation carries an `Idempotency-Key` (SPEC §8), made when the snippet runs (a key
 * written into the text would make every run after the first a replay of it), with the
 * reason a retry must reuse it: the polls that follow need none.
 */
export const LANGUAGES = ["curl", "fetch", "Node", "Python", "C#"] as const;
export type Language = (typeof LANGUAGES)[number];

export interface SnippetInput { url: string; verb: string; callMode: CallMode; args: Record<string, unknown> }

/** GET and DELETE take the arguments (and $callMode) in the query string; POST and PUT a JSON body. */
function request(input: SnippetInput): { url: string; body: string | null } {
  const withMode = { ...input.args, $callMode: input.callMode };
  if (input.verb === "GET" || input.verb === "DELETE") {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(withMode)) q.set(k, typeof v === "string" ? v : JSON.stringify(v));
    return { url: `${input.url}?${q.toString()}`, body: null };
  }
  return { url: input.url, body: JSON.stringify(withMode) };
}

/** The comment over the key, in every language. */
export const IDEMPOTENCY_COMMENT = "Idempotency-Key: a new one per call; a retry of the same call must reuse it (then no second job starts)";

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const js = (s: string) => JSON.stringify(s);

export function snippet(language: Language, input: SnippetInput): string {
  switch (language) {
    case "curl": return curl(input);
    case "fetch": return browserFetch(input);
    case "Node": return node(input);
    case "Python": return python(input);
    case "C#": return csharp(input);
  }
}

function curl(input: SnippetInput): string {
  const { url, body } = request(input);
  const send = `-H "Idempotency-Key: $key" -X ${input.verb}${body !== null ? ` -H "Content-Type: application/json" -d ${sh(body)}` : ""} \\
  ${sh(url)}`;
  // `curl -L -X POST` would POST again to the wait URI after the 303 (404): each hop is a GET of its own
  const head = `# baton_call: one request; its status in $code, its redirect in $next, its body in $out
out=$(mktemp)
baton_call() {
  answer=$(curl -sS -o "$out" -D "$out.h" -w '%{http_code} %{redirect_url}' -H "Authorization: Bearer $BATON_TOKEN" "$@")
  code=\${answer%% *}; next=\${answer#* }
}
# ${IDEMPOTENCY_COMMENT}
key=$(uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid)
baton_call ${send}`;
  // 200: the output, on stdout; anything else: the problem (or curl's own message), and a non-zero status
  const tail = (what: string) => `if [ "$code" = 200 ]; then ${what}; else echo "HTTP $code" >&2; cat "$out" >&2; echo >&2; fi
rm -f "$out" "$out.h"; [ "$code" = 200 ]`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
# 202 Accepted: Location is the status URI
status_uri=$(tr -d '\\r' < "$out.h" | sed -n 's/^[Ll]ocation: //p')
# the status URI answers 200 while the job runs, then 303 (or 302) to the output URI
while [ "$code" = 202 ] || [ "$code" = 200 ]; do sleep 1; baton_call "$status_uri"; done
if [ "$code" = 303 ] || [ "$code" = 302 ]; then baton_call "$next"; fi
${tail(`cat "$out"; echo`)}`;
    case "FireAndForget":
      return `${head}
# 200 OK, no body: the job is stored and runs later
${tail(`echo "$code"`)}`;
    case "LongPolling":
      return `${head}
# blocks until the job is final; after the tenant's longPollTimeoutSeconds, 303 (or 302)
# to the wait URI, which blocks again
while [ "$code" = 303 ] || [ "$code" = 302 ]; do baton_call "$next"; done
${tail(`cat "$out"; echo`)}`;
  }
}

function browserFetch(input: SnippetInput): string {
  const { url, body } = request(input);
  const init = `{ method: ${js(input.verb)}, headers: { ...headers, "Idempotency-Key": key${body !== null ? `, "Content-Type": "application/json"` : ""} }${body !== null ? `, body: JSON.stringify(${body})` : ""} }`;
  const head = `// another origin must be listed in the tenant setting corsAllowedOrigins
const token = "<your token>";
const headers = { Authorization: \`Bearer \${token}\` };
// an error answer stops here with its problem (status, code, detail)
async function ok(res) {
  if (res.ok) return res;
  const problem = await res.json().catch(() => null);
  throw new Error(\`\${res.status} \${problem?.code ?? res.statusText}: \${problem?.detail ?? "no detail"}\`);
}
// ${IDEMPOTENCY_COMMENT}
const key = crypto.randomUUID();
const res = await ok(await fetch(${js(url)}, ${init}));`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
const statusUri = res.headers.get("Location");
// fetch follows the 303 (or 302) to the output once the job is final
for (;;) {
  await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get("Retry-After") ?? 1)));
  const s = await ok(await fetch(statusUri, { headers }));
  if (s.redirected) { console.log(s.status, await s.text()); break; }
}`;
    case "FireAndForget":
      return `${head}
console.log(res.status); // 200: the job is stored`;
    case "LongPolling":
      return `${head}
// fetch follows the 303s to the wait URI (20 at most: the tenant's settings make that enough)
console.log(res.status, await res.text());`;
  }
}

function node(input: SnippetInput): string {
  const { url, body } = request(input);
  const head = `// node invoke.mjs (Node 18 or later)
const headers = { Authorization: \`Bearer \${process.env.BATON_TOKEN ?? ""}\`${body !== null ? `, "Content-Type": "application/json"` : ""} };
// an error answer stops the program with its problem (status, code, detail)
async function ok(res) {
  if (res.status < 400) return res;
  console.error(res.status, await res.text());
  process.exit(1);
}
// the call modes' redirects: 303, or 302 when the tenant's redirectStatusCode says so
const isRedirect = (res) => res.status === 303 || res.status === 302;
const get = async (uri) => ok(await fetch(uri, { headers, redirect: "manual" }));
// ${IDEMPOTENCY_COMMENT}
const key = crypto.randomUUID();
let res = await ok(await fetch(${js(url)}, { method: ${js(input.verb)}, headers: { ...headers, "Idempotency-Key": key }${body !== null ? `, body: JSON.stringify(${body})` : ""}, redirect: "manual" }));`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
const statusUri = res.headers.get("location"); // 202 Accepted: the status URI
for (;;) {
  await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get("retry-after") ?? 1)));
  res = await get(statusUri);
  if (isRedirect(res)) { res = await get(res.headers.get("location")); break; } // final: the output URI
}
console.log(res.status, await res.text());`;
    case "FireAndForget":
      return `${head}
console.log(res.status); // 200: the job is stored`;
    case "LongPolling":
      return `${head}
// not final yet: the wait URI blocks again
while (isRedirect(res)) res = await get(res.headers.get("location"));
console.log(res.status, await res.text());`;
  }
}

function python(input: SnippetInput): string {
  const { url, body } = request(input);
  const head = `import os, sys, time, urllib.error, urllib.request, uuid

HEADERS = {"Authorization": "Bearer " + os.environ.get("BATON_TOKEN", ""), "Content-Type": "application/json"}
REDIRECTS = (303, 302)  # the call modes' redirects: 302 when the tenant's redirectStatusCode says so

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # we follow them ourselves, with GET

opener = urllib.request.build_opener(NoRedirect)

def call(url, method="GET", body=None, headers=None):
    """The answer; an error answer stops the program with its problem (status, code, detail)."""
    data = None if body is None else body.encode()
    try:
        with opener.open(urllib.request.Request(url, data=data, method=method, headers={**HEADERS, **(headers or {})})) as res:
            return res.status, res.headers, res.read()
    except urllib.error.HTTPError as err:
        if err.code in REDIRECTS:
            return err.code, err.headers, err.read()
        sys.exit(f"{err.code} {err.read().decode()}")
    except urllib.error.URLError as err:
        sys.exit(f"cannot reach Baton: {err.reason}")

# ${IDEMPOTENCY_COMMENT}
KEY = str(uuid.uuid4())
status, headers, body = call(${js(url)}, ${js(input.verb)}, ${body !== null ? js(body) : "None"}, {"Idempotency-Key": KEY})`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
status_uri = headers["Location"]  # 202 Accepted: the status URI
while True:
    time.sleep(int(headers.get("Retry-After", "1")))
    status, headers, body = call(status_uri)
    if status in REDIRECTS:  # final: the output URI
        status, headers, body = call(headers["Location"])
        break
print(status, body.decode())`;
    case "FireAndForget":
      return `${head}
print(status)  # 200: the job is stored`;
    case "LongPolling":
      return `${head}
while status in REDIRECTS:  # not final yet: the wait URI blocks again
    status, headers, body = call(headers["Location"])
print(status, body.decode())`;
  }
}

function csharp(input: SnippetInput): string {
  const { url, body } = request(input);
  const head = `// dotnet new console; paste into Program.cs
using System.Net;
using System.Net.Http.Headers;

var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(2) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Environment.GetEnvironmentVariable("BATON_TOKEN"));
var request = new HttpRequestMessage(new HttpMethod(${js(input.verb)}), ${js(url)});
// ${IDEMPOTENCY_COMMENT}
request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
${body !== null ? `request.Content = new StringContent(${js(body)}, System.Text.Encoding.UTF8, "application/json");\n` : ""}var res = await Ok(await http.SendAsync(request));`;
  const helpers = `

// an error answer stops the program with its problem (status, code, detail)
async Task<HttpResponseMessage> Ok(HttpResponseMessage answer)
{
    if ((int)answer.StatusCode < 400) return answer;
    Console.Error.WriteLine($"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
    Environment.Exit(1);
    return answer;
}

// the call modes' redirects: 303 See Other, or 302 Found when the tenant's redirectStatusCode says so
static bool IsRedirect(HttpResponseMessage answer) => answer.StatusCode is HttpStatusCode.SeeOther or HttpStatusCode.Redirect;`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
var statusUri = res.Headers.Location!; // 202 Accepted: the status URI
while (true)
{
    await Task.Delay(TimeSpan.FromSeconds(res.Headers.RetryAfter?.Delta?.TotalSeconds ?? 1));
    res = await Ok(await http.GetAsync(statusUri));
    // final: Location is the output URI
    if (IsRedirect(res)) { res = await Ok(await http.GetAsync(res.Headers.Location!)); break; }
}
Console.WriteLine($"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");${helpers}`;
    case "FireAndForget":
      return `${head}
Console.WriteLine((int)res.StatusCode); // 200: the job is stored${helpers}`;
    case "LongPolling":
      return `${head}
// not final yet: the wait URI blocks again
while (IsRedirect(res)) res = await Ok(await http.GetAsync(res.Headers.Location!));
Console.WriteLine($"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");${helpers}`;
  }
}
