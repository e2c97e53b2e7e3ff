import type { CallMode } from "./api.js";

/**
 * Ready-to-run calls of an API trigger in each call mode (SPEC §2), reading the token from
 * the environment variable BATON_TOKEN (a personal access token or an OAuth access token).
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
  const send = `-X ${input.verb} -H "Authorization: Bearer $BATON_TOKEN"${body !== null ? ` \\\n  -H "Content-Type: application/json" -d ${sh(body)}` : ""}`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `# 202 Accepted with Location: the status URI
status_uri=$(curl -sS -o /dev/null -D - ${send} \\
  ${sh(url)} | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p')
# the status URI answers 200 while the job runs, then 303 to the output
while [ "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $BATON_TOKEN" "$status_uri")" != 303 ]; do sleep 1; done
curl -sS -L -H "Authorization: Bearer $BATON_TOKEN" "$status_uri"`;
    case "FireAndForget":
      return `# 200 OK, no body: the job is stored and runs later
curl -sS -i ${send} \\
  ${sh(url)}`;
    case "LongPolling":
      return `# blocks until the job is final; -L follows the 303s to the wait URI until the result comes
curl -sS -L --max-redirs 50 ${send} \\
  ${sh(url)}`;
  }
}

function browserFetch(input: SnippetInput): string {
  const { url, body } = request(input);
  const init = `{ method: ${js(input.verb)}, headers: { Authorization: \`Bearer \${token}\`${body !== null ? `, "Content-Type": "application/json"` : ""} }${body !== null ? `, body: JSON.stringify(${body})` : ""} }`;
  const head = `// another origin must be listed in the tenant setting corsAllowedOrigins
const token = "<your token>";
const res = await fetch(${js(url)}, ${init});`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
const statusUri = res.headers.get("Location");
// fetch follows the 303 to the output once the job is final
for (;;) {
  const s = await fetch(statusUri, { headers: { Authorization: \`Bearer \${token}\` } });
  if (s.redirected) { console.log(s.status, await s.json()); break; }
  await new Promise((r) => setTimeout(r, 1000 * Number(s.headers.get("Retry-After") ?? 1)));
}`;
    case "FireAndForget":
      return `${head}
console.log(res.status); // 200: the job is stored`;
    case "LongPolling":
      return `${head}
// fetch follows the 303s to the wait URI (up to 20) until the job is final
console.log(res.status, await res.json());`;
  }
}

function node(input: SnippetInput): string {
  const { url, body } = request(input);
  const head = `// node invoke.mjs (Node 18 or later)
const headers = { Authorization: \`Bearer \${process.env.BATON_TOKEN}\`${body !== null ? `, "Content-Type": "application/json"` : ""} };
const res = await fetch(${js(url)}, { method: ${js(input.verb)}, headers${body !== null ? `, body: JSON.stringify(${body})` : ""}, redirect: "manual" });`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
let uri = res.headers.get("location"); // the status URI
for (;;) {
  const s = await fetch(uri, { headers, redirect: "manual" });
  if (s.status === 303) { // final: the output URI
    const out = await fetch(s.headers.get("location"), { headers });
    console.log(out.status, await out.json());
    break;
  }
  await new Promise((r) => setTimeout(r, 1000 * Number(s.headers.get("retry-after") ?? 1)));
}`;
    case "FireAndForget":
      return `${head}
console.log(res.status); // 200: the job is stored`;
    case "LongPolling":
      return `${head}
let answer = res;
while (answer.status === 303) answer = await fetch(answer.headers.get("location"), { headers, redirect: "manual" });
console.log(answer.status, await answer.json());`;
  }
}

function python(input: SnippetInput): string {
  const { url, body } = request(input);
  const head = `import json, os, time, urllib.error, urllib.request

HEADERS = {"Authorization": "Bearer " + os.environ["BATON_TOKEN"], "Content-Type": "application/json"}

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # we follow the 303s ourselves

opener = urllib.request.build_opener(NoRedirect)

def call(url, method="GET", body=None):
    data = None if body is None else body.encode()
    try:
        with opener.open(urllib.request.Request(url, data=data, method=method, headers=HEADERS)) as res:
            return res.status, res.headers, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()

status, headers, body = call(${js(url)}, ${js(input.verb)}, ${body !== null ? js(body) : "None"})`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
status_uri = headers["Location"]
while True:
    status, headers, body = call(status_uri)
    if status == 303:  # final: the output URI
        status, headers, body = call(headers["Location"])
        break
    time.sleep(int(headers.get("Retry-After", "1")))
print(status, body.decode())`;
    case "FireAndForget":
      return `${head}
print(status)  # 200: the job is stored`;
    case "LongPolling":
      return `${head}
while status == 303:  # not final yet: the wait URI blocks again
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
${body !== null ? `request.Content = new StringContent(${js(body)}, System.Text.Encoding.UTF8, "application/json");\n` : ""}var res = await http.SendAsync(request);`;
  switch (input.callMode) {
    case "AsyncRequestReply":
      return `${head}
var statusUri = res.Headers.Location!;
while (true)
{
    var s = await http.GetAsync(statusUri);
    // 303 See Other (not 302): the job is final, Location is the output URI
    if (s.StatusCode == HttpStatusCode.SeeOther) { res = await http.GetAsync(s.Headers.Location!); break; }
    await Task.Delay(TimeSpan.FromSeconds(s.Headers.RetryAfter?.Delta?.TotalSeconds ?? 1));
}
Console.WriteLine($"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");`;
    case "FireAndForget":
      return `${head}
Console.WriteLine((int)res.StatusCode); // 200: the job is stored`;
    case "LongPolling":
      return `${head}
// 303 See Other: not final yet, the wait URI blocks again
while (res.StatusCode == HttpStatusCode.SeeOther) res = await http.GetAsync(res.Headers.Location!);
Console.WriteLine($"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");`;
  }
}
