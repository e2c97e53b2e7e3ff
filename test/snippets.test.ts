/**
 * The console's snippets (web/src/snippets.ts) run for real against a job that outlasts the
 * tenant's 1 s long-poll timeout, so every LongPolling snippet goes round the redirect loop
 * to the wait URI at least twice: curl, Python (urllib) and both JavaScript snippets in
 * child processes (the browser `fetch` one under Node, whose fetch follows redirects as
 * browsers do), the C# one through a line-by-line port (no .NET on the test machine, and
 * Mono is too large to install for this). Each also runs with a wrong and a missing token,
 * and against a job that faults: it must stop, print the problem and exit non-zero.
 * Then the same against a tenant whose redirectStatusCode is 302.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LANGUAGES, snippet, type Language, type SnippetInput } from "../web/src/snippets.js";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";

type Verb = "GET" | "POST" | "PUT" | "DELETE";
type Mode = SnippetInput["callMode"];
interface Run { code: number; stdout: string; stderr: string }

const dir = mkdtempSync(join(tmpdir(), "baton-snippets-"));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one snippet as a program with BATON_TOKEN set (or unset: null), within 60 s. */
async function runSnippet(language: Language, input: SnippetInput, token: string | null): Promise<Run> {
  const text = snippet(language, input);
  if (language === "C#") return csharpPort(text, input.callMode, token);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.BATON_TOKEN;
  if (token !== null) env.BATON_TOKEN = token;
  const file = join(dir, `${++files}.${language === "Python" ? "py" : language === "curl" ? "sh" : "mjs"}`);
  // the browser snippet has the token written into it
  writeFileSync(file, language === "fetch" ? text.replace(`const token = "<your token>";`, `const token = ${JSON.stringify(token ?? "")};`) : text);
  const [command, args] = language === "curl" ? ["sh", [file]] : language === "Python" ? ["python3", [file]] : [process.execPath, [file]];
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

// ---- the C# snippet, ported

class Exit extends Error {
  constructor(readonly code: number) { super(`exit ${code}`); }
}

/** The lines of the C# snippet the port below follows; a change there fails here until the port follows. */
const CSHARP = {
  client: "var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(2) };",
  ok: "if ((int)answer.StatusCode < 400) return answer;",
  error: "Console.Error.WriteLine($\"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}\");\n    Environment.Exit(1);",
  isRedirect: "static bool IsRedirect(HttpResponseMessage answer) => answer.StatusCode is HttpStatusCode.SeeOther or HttpStatusCode.Redirect;",
  invoke: "var res = await Ok(await http.SendAsync(request));",
  statusUri: "var statusUri = res.Headers.Location!;",
  delay: "await Task.Delay(TimeSpan.FromSeconds(res.Headers.RetryAfter?.Delta?.TotalSeconds ?? 1));",
  poll: "res = await Ok(await http.GetAsync(statusUri));",
  output: "if (IsRedirect(res)) { res = await Ok(await http.GetAsync(res.Headers.Location!)); break; }",
  loop: "while (IsRedirect(res)) res = await Ok(await http.GetAsync(res.Headers.Location!));",
  print: "Console.WriteLine($\"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}\");",
  printStatus: "Console.WriteLine((int)res.StatusCode);",
};

/**
 * The C# snippet, line by line: `HttpClient` with `AllowAutoRedirect = false` is fetch with
 * `redirect: "manual"`, `DefaultRequestHeaders.Authorization` goes with every request, the
 * method, URL and body are read from the snippet itself.
 */
async function csharpPort(text: string, mode: Mode, token: string | null): Promise<Run> {
  const lines = [CSHARP.client, CSHARP.ok, CSHARP.error, CSHARP.isRedirect, CSHARP.invoke,
    ...(mode === "AsyncRequestReply" ? [CSHARP.statusUri, CSHARP.delay, CSHARP.poll, CSHARP.output, CSHARP.print] : mode === "LongPolling" ? [CSHARP.loop, CSHARP.print] : [CSHARP.printStatus])];
  for (const line of lines) expect(text, "the C# snippet changed: update its port").toContain(line);
  const [, method, url] = /new HttpRequestMessage\(new HttpMethod\("(\w+)"\), ("(?:[^"\\]|\\.)*")\);/.exec(text)!;
  const content = /request\.Content = new StringContent\(("(?:[^"\\]|\\.)*"), System\.Text\.Encoding\.UTF8, "application\/json"\);/.exec(text);
  const stdout: string[] = [];
  const stderr: string[] = [];
  // new AuthenticationHeaderValue("Bearer", null) sends "Bearer" alone
  const authorization = token === null ? "Bearer" : `Bearer ${token}`;
  const send = (verb: string, uri: string, body?: string) => fetch(uri, {
    method: verb, redirect: "manual",
    headers: body === undefined ? { authorization } : { authorization, "content-type": "application/json; charset=utf-8" },
    body,
  });
  const GetAsync = (uri: string) => send("GET", uri);
  const Ok = async (answer: Response) => {
    if (answer.status < 400) return answer;
    stderr.push(`${answer.status} ${await answer.text()}`);
    throw new Exit(1);
  };
  const IsRedirect = (answer: Response) => answer.status === 303 || answer.status === 302;
  try {
    let res = await Ok(await send(method!, JSON.parse(url!), content ? JSON.parse(content[1]!) : undefined));
    if (mode === "AsyncRequestReply") {
      const statusUri = res.headers.get("location")!;
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get("retry-after") ?? 1)));
        res = await Ok(await GetAsync(statusUri));
        if (IsRedirect(res)) { res = await Ok(await GetAsync(res.headers.get("location")!)); break; }
      }
      stdout.push(`${res.status} ${await res.text()}`);
    } else if (mode === "LongPolling") {
      while (IsRedirect(res)) res = await Ok(await GetAsync(res.headers.get("location")!));
      stdout.push(`${res.status} ${await res.text()}`);
    } else {
      stdout.push(String(res.status));
    }
    return { code: 0, stdout: stdout.join("\n") + "\n", stderr: stderr.join("\n") };
  } catch (err) {
    if (err instanceof Exit) return { code: err.code, stdout: stdout.join("\n"), stderr: stderr.join("\n") + "\n" };
    throw err;
  }
}

// ---- the server

/** The Sleep process behind a trigger of each verb (the demo's `sleep` is the POST one). */
async function sleepTriggers(b: TestBaton): Promise<Record<Verb, string>> {
  const urls = { POST: b.invokeUrl("sleep") } as Record<Verb, string>;
  for (const verb of ["GET", "PUT", "DELETE"] as const) {
    const trigger = await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, {
      method: "POST", json: { name: `Sleep by ${verb}`, slug: `sleep-${verb.toLowerCase()}`, verb, processName: "Sleep", callMode: "AsyncRequestReply" },
    });
    urls[verb] = trigger.invokeUrl;
  }
  return urls;
}

/** What is wrong with a run whose job ended Successful with `output` (curl prints the JSON alone, the others the status first), or null. */
function outputProblem(language: Language, mode: Mode, run: Run, output: unknown): string | null {
  if (run.code !== 0) return `exit ${run.code}`;
  if (mode === "FireAndForget") return run.stdout.trim() === "200" ? null : "not 200";
  const [, status, json] = language === "curl" ? [run.stdout, "200", run.stdout] : /^(\d{3}) (.*)\n$/s.exec(run.stdout) ?? [];
  if (language !== "curl" && status !== "200") return `status ${status}`;
  try {
    expect(JSON.parse(json ?? "")).toEqual(output);
    return null;
  } catch {
    return "not the output";
  }
}

/** Runs the cases at once; fails listing every case whose check found a problem. */
async function expectAll<T>(cases: T[], check: (c: T) => Promise<string | null>): Promise<void> {
  const problems = (await Promise.all(cases.map(check))).filter((p) => p !== null);
  expect(problems, problems.join("\n")).toEqual([]);
}

/** longer than the tenant's longPollTimeoutSeconds (1): LongPolling is redirected to the wait URI at least twice */
const SECONDS = 2.5;

function snippetsWork(redirectStatusCode: 302 | 303) {
  let b: TestBaton;
  let urls: Record<Verb, string>;
  let wrongTokenDetail: string;
  let missingTokenDetail: string;

  beforeAll(async () => {
    b = await startTestBaton();
    await b.patchSettings({ longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20, redirectStatusCode });
    urls = await sleepTriggers(b);
    // the problems a wrong and a missing token get, which the snippets must print
    const wrong = await fetch(urls.POST, { method: "POST", headers: { authorization: "Bearer baton_pat_wrong" } });
    expect(wrong.status).toBe(401);
    wrongTokenDetail = (await wrong.json()).detail;
    const missing = await fetch(urls.POST, { method: "POST", headers: { authorization: "Bearer " } });
    expect(missing.status).toBe(401);
    missingTokenDetail = (await missing.json()).detail;
  });
  afterAll(async () => { await b?.close(); });

  describe.concurrent(`redirectStatusCode ${redirectStatusCode}`, () => {
    for (const language of LANGUAGES) {
      const cases: { verb: Verb; mode: Mode }[] = redirectStatusCode === 303
        ? [
          ...(["AsyncRequestReply", "LongPolling", "FireAndForget"] as const).map((mode) => ({ verb: "POST" as const, mode })),
          ...(["GET", "PUT", "DELETE"] as const).map((verb) => ({ verb, mode: "LongPolling" as const })),
        ]
        // fetch, as the Fetch standard says, repeats a PUT or DELETE after a 302 (docs/api.md): not run
        : [{ verb: "POST", mode: "AsyncRequestReply" }, { verb: "POST", mode: "LongPolling" }, ...(language === "fetch" ? [] : [{ verb: "DELETE" as const, mode: "LongPolling" as const }])];
      it(`${language}: ${cases.map((c) => `${c.mode} by ${c.verb}`).join(", ")}: the job's output, through the redirects`, async () => {
        await expectAll(cases, async ({ verb, mode }) => {
          const run = await runSnippet(language, { url: urls[verb], verb, callMode: mode, args: { seconds: SECONDS } }, b.token);
          const problem = outputProblem(language, mode, run, { sleptSeconds: SECONDS });
          return problem && `${mode} by ${verb}: ${problem}: ${JSON.stringify(run)}`;
        });
      });

      if (redirectStatusCode === 302) continue;

      it(`${language}: a wrong token stops every call mode, a missing one AsyncRequestReply, with the problem's detail and a non-zero exit`, async () => {
        const runs: { mode: Mode; token: string | null; details: string[] }[] = [
          ...(["AsyncRequestReply", "LongPolling", "FireAndForget"] as const).map((mode) => ({ mode, token: "baton_pat_wrong", details: [wrongTokenDetail] })),
          // sent as "Bearer " or "Bearer": the malformed header's detail; as "Bearer undefined", the wrong token's
          { mode: "AsyncRequestReply", token: null, details: [missingTokenDetail, wrongTokenDetail] },
        ];
        await expectAll(runs, async ({ mode, token, details }) => {
          const run = await runSnippet(language, { url: urls.POST, verb: "POST", callMode: mode, args: { seconds: SECONDS } }, token);
          const printed = run.stdout + run.stderr;
          // -1: killed by the timeout, it did not stop by itself
          const ok = run.code > 0 && printed.includes("401") && details.some((d) => printed.includes(d));
          return ok ? null : `${mode} with token ${token}: ${JSON.stringify(run)}`;
        });
      });

      it(`${language}: a job that faults stops AsyncRequestReply and LongPolling with the job's error and a non-zero exit`, async () => {
        await expectAll(["AsyncRequestReply", "LongPolling"] as const, async (mode) => {
          const run = await runSnippet(language, { url: b.invokeUrl("fail"), verb: "POST", callMode: mode, args: { message: `no luck in ${mode}` } }, b.token);
          const printed = run.stdout + run.stderr;
          const ok = run.code > 0 && printed.includes(`no luck in ${mode}`) && printed.includes("job-faulted");
          return ok ? null : `${mode}: ${JSON.stringify(run)}`;
        });
      });
    }
  });
}

// many child processes at once on a shared machine: generous timeouts (a run normally takes a few seconds)
describe("the console's snippets", { timeout: 90_000 }, () => {
  describe("on a tenant answering 303 (the default)", () => snippetsWork(303));
  describe("on a tenant answering 302", () => snippetsWork(302));
});
