import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InProcessConnection } from "../../src/robot/InProcessConnection.js";
import { RobotRuntime } from "../../src/robot/RobotRuntime.js";
import { startTestBaton, type TestBaton } from "../helpers/baton.js";
import { repoRoot } from "../helpers/child.js";

/**
 * The web console in Debian's Chromium (never a downloaded browser), against a real Baton on
 * a real socket: password login, a trigger created and invoked with the curl snippet the page
 * shows, a job's states arriving without a reload, SoftStop, a 390 px layout. Screenshots of
 * the main pages go to test-results/console/. Every wait is for a DOM state, never a sleep.
 */
const CHROMIUM = process.env.BATON_TEST_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = join(repoRoot, "test-results", "console");
const run = promisify(execFile);
/** how long a page may take to show a state (a loaded 2-core machine) */
const WAIT = 15_000;

let b: TestBaton;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** every console error and uncaught exception of every page */
const errors: string[] = [];

function watch(p: Page): void {
  p.on("console", (m) => { if (m.type() === "error") errors.push(`${p.url()}: ${m.text()}`); });
  p.on("pageerror", (e) => errors.push(`${p.url()}: uncaught ${e.message}`));
}

async function login(p: Page, password = "test-password", userName = "admin"): Promise<void> {
  await p.goto(`${b.base}/`);
  await p.getByLabel("User name").fill(userName);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in" }).click();
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** the state badge of a job's row in the jobs list */
const rowState = (p: Page, key: string) => p.locator(`tr[data-job="${key}"] [data-state]`);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  b = await startTestBaton();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(WAIT);
  page = await context.newPage();
  watch(page);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await b?.close();
});

describe("the web console", () => {
  it("refuses a wrong password with the problem's detail and code, then logs in with the right one", async () => {
    await login(page, "wrong-password");
    await expect.poll(() => page.getByTestId("error-code").textContent(), { timeout: WAIT }).toBe("invalid-credentials");
    await shot(page, "login-error");
    await page.getByLabel("Password").fill("test-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    expect(page.url()).toMatch(/#\/jobs$/);
    // the session lives in an HttpOnly cookie scoped to the tenant: no token in the page
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "baton_session")!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe("Strict");
    expect(session.path).toBe("/default/DefaultTenant/orchestrator_");
    await page.getByTestId("live").filter({ hasText: "live" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
  });

  it("creates a trigger, and its curl snippets invoke it (LongPolling and AsyncRequestReply)", async () => {
    await page.getByRole("link", { name: "Triggers", exact: true }).click();
    await page.getByRole("button", { name: "New trigger" }).click();
    const form = page.getByRole("form", { name: "New trigger" });
    await form.locator("select[name=processName]").selectOption("Echo");
    await form.getByLabel("Name").fill("Console echo");
    await form.getByLabel("Slug").fill("console-echo");
    await form.locator("select[name=callMode]").selectOption("LongPolling");
    await form.getByRole("button", { name: "Create trigger" }).click();
    await page.getByRole("heading", { name: "Console echo" }).waitFor();
    expect(await page.getByTestId("invoke-url").textContent()).toBe(`POST ${b.invokeUrl("console-echo")}`);

    await page.getByLabel("Arguments (JSON object)").fill('{"hello":"it\'s the console"}');
    const snippet = page.getByTestId("snippet");
    for (const mode of ["LongPolling", "AsyncRequestReply"]) {
      await page.locator("select[name=snippetCallMode]").selectOption(mode);
      await page.locator(`[data-testid="snippet"][data-call-mode="${mode}"][data-language="curl"]`).waitFor();
      const text = (await snippet.textContent())!;
      const { stdout } = await run("sh", ["-c", text], { env: { ...process.env, BATON_TOKEN: b.token }, timeout: 30_000 });
      expect(JSON.parse(stdout), mode).toEqual({ hello: "it's the console" });
    }
    await shot(page, "trigger");

    // "try it" as the logged-in user (cookie and CSRF token), LongPolling: the result itself
    await page.locator("select[name=snippetCallMode]").selectOption("LongPolling");
    const invocation = page.waitForRequest((r) => r.url().includes("/t/") && r.method() === "POST");
    await page.getByRole("button", { name: "Invoke" }).click();
    await expect.poll(() => page.getByTestId("try-status").textContent(), { timeout: WAIT }).toBe("200");
    expect(await page.getByTestId("try-answer").locator("pre").textContent()).toContain("it's the console");
    // with an Idempotency-Key of its own, shown with the answer
    const tryKey = (await invocation).headers()["idempotency-key"];
    expect(tryKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await page.getByTestId("try-idempotency-key").textContent()).toBe(tryKey);

    // every language has a snippet
    for (const language of ["fetch", "Node", "Python", "C#"]) {
      await page.getByRole("tab", { name: language, exact: true }).click();
      await page.locator(`[data-testid="snippet"][data-language="${language}"]`).waitFor();
      expect(await snippet.textContent(), language).toContain(b.invokeUrl("console-echo"));
      expect(await snippet.textContent(), language).toContain("Idempotency-Key");
    }

    // its jobs: the two curl calls and the try
    await page.getByRole("link", { name: "Jobs of this trigger" }).click();
    const rows = page.locator("[data-testid=jobs-table] tbody tr");
    await expect.poll(() => rows.count(), { timeout: WAIT }).toBe(3);
    expect(new Set(await rows.locator("td:nth-child(6)").allTextContents())).toEqual(new Set(["Console echo"]));
    await page.goBack();
    await page.getByRole("heading", { name: "Console echo" }).waitFor();

    // disable, then the list shows it disabled
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Enable" }).waitFor();
    await page.getByRole("link", { name: "← Triggers" }).click();
    await expect.poll(() => page.getByRole("switch", { name: "Console echo enabled" }).isChecked(), { timeout: WAIT }).toBe(false);
    await shot(page, "triggers");
  });

  it("shows a job go Pending → Running → Successful without a reload", async () => {
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "Gate" } });
    await page.goto(`${b.base}/#/jobs`);
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    // a process no robot serves yet: the job stays Pending
    const job = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Gate", inputArguments: { n: 1 } } });
    await rowState(page, job.key).filter({ hasText: "Pending" }).waitFor();
    await shot(page, "jobs");

    // a robot that serves Gate, and holds the job until the test opens the gate
    let open!: () => void;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    const tenantId = (await b.baton.tenancy.tenantOrThrow("default", "DefaultTenant")).id;
    const robot = new RobotRuntime(new InProcessConnection(b.baton, tenantId), {
      name: "gate-robot", slots: 1, processes: { Gate: async (input) => { await gate; return { passed: input.n ?? null }; } },
    });
    await robot.start();
    try {
      await rowState(page, job.key).filter({ hasText: "Running" }).waitFor();
      open();
      await rowState(page, job.key).filter({ hasText: "Successful" }).waitFor();
    } finally {
      open();
      await robot.stop(2000);
    }
    // its page: outputs and a timeline
    await page.locator(`tr[data-job="${job.key}"]`).getByTestId("job-key").click();
    await page.getByTestId("timeline").getByText("Successful").waitFor();
    expect(await page.getByLabel("Output arguments").textContent()).toContain('"passed": 1');
    await shot(page, "job-successful");
  });

  it("shows a failed attempt in the job's attempts table, and when it is retried", async () => {
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, {
      method: "POST", json: { name: "Shaky", retry: { maxAttempts: 2, backoff: { type: "Fixed", delaySeconds: 3600, maxDelaySeconds: 3600, jitter: false } } },
    });
    const job = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Shaky" } });
    const tenantId = (await b.baton.tenancy.tenantOrThrow("default", "DefaultTenant")).id;
    const robot = new RobotRuntime(new InProcessConnection(b.baton, tenantId), {
      name: "shaky-robot", slots: 1, processes: { Shaky: async () => { throw Object.assign(new Error("the line dropped"), { code: "LineDropped" }); } },
    });
    await robot.start();
    try {
      await expect.poll(async () => (await b.apiJson(`/api/v1/jobs/${job.key}`)).attempts.length, { timeout: WAIT }).toBe(1);
    } finally {
      await robot.stop(2000);
    }
    await page.goto(`${b.base}/#/jobs/${job.key}`);
    const attempts = page.getByTestId("attempts");
    await attempts.waitFor();
    expect(await attempts.locator("tbody tr").first().textContent()).toContain("LineDropped the line dropped");
    expect(await attempts.locator("tbody tr").first().textContent()).toContain("shaky-robot");
    expect(await attempts.textContent()).toContain("Retrying at");
    await page.getByTestId("retry-at").waitFor();
    await shot(page, "job-retrying");
  });

  it("pages through the jobs with Next and Previous, one page of 25 at a time", async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) =>
      b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Echo", inputArguments: { i } } })));
    const requests: string[] = [];
    const onRequest = (r: { url(): string }) => { if (/\/api\/v1\/jobs\?/.test(r.url())) requests.push(r.url()); };
    page.on("request", onRequest);
    try {
      await page.goto(`${b.base}/#/jobs`);
      await page.locator("[data-testid=jobs-table]").waitFor();
      const filtered = page.waitForResponse((r) => r.url().includes("processName=Echo"));
      await page.locator("input[name=processName]").fill("Echo");
      await page.locator("input[name=processName]").press("Enter");
      await filtered;
      const rows = page.locator("[data-testid=jobs-table] tbody tr");
      await expect.poll(() => rows.count(), { timeout: WAIT }).toBe(25);
      const first = await rows.first().getAttribute("data-job");
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByText("Page 2").waitFor();
      await expect.poll(() => rows.first().getAttribute("data-job"), { timeout: WAIT }).not.toBe(first);
      expect(await rows.count()).toBeGreaterThan(0);
      await page.getByRole("button", { name: "Previous" }).click();
      await page.getByText("Page 1").waitFor();
      await expect.poll(() => rows.first().getAttribute("data-job"), { timeout: WAIT }).toBe(first);
    } finally {
      page.off("request", onRequest);
    }
    // every read of the list asked for one page, never for everything
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(new URL(url).searchParams.get("limit"), url).toBe("25");
    expect(requests.some((u) => new URL(u).searchParams.has("cursor"))).toBe(true);
  });

  it("lists jobs with their key and duration, one line a row: 20 and more on a 1280×900 screen", async () => {
    await page.goto(`${b.base}/#/jobs`);
    const rows = page.locator("[data-testid=jobs-table] tbody tr");
    await expect.poll(() => rows.count(), { timeout: WAIT }).toBe(25);
    // the short key links to the job, the full key is its title
    const first = rows.first();
    const key = (await first.getAttribute("data-job"))!;
    const keyLink = first.getByTestId("job-key");
    expect(await keyLink.textContent()).toBe(key.slice(0, 8));
    expect(await keyLink.getAttribute("title")).toBe(key);
    expect(await keyLink.getAttribute("href")).toBe(`#/jobs/${key}`);
    // a finished job's duration is ended − started (the Echo jobs are run by the demo robot)
    const done = page.locator("[data-testid=jobs-table] tbody tr", { has: page.locator("[data-state=Successful]") }).first();
    await done.waitFor();
    expect(await done.getByTestId("job-duration").textContent()).toMatch(/^\d+(\.\d)? m?s$|^\d+ min \d\d s$/);
    const metrics = await page.evaluate(() => {
      const trs = Array.from(document.querySelectorAll<HTMLTableRowElement>("[data-testid=jobs-table] tbody tr"));
      const heights = trs.map((tr) => tr.getBoundingClientRect().height);
      const head = document.querySelector("[data-testid=jobs-table] thead")!.getBoundingClientRect();
      const wrap = document.querySelector<HTMLElement>("[data-testid=jobs-table]")!.parentElement!;
      return {
        heights,
        // one line: no cell taller than its text's line
        wrapped: trs.flatMap((tr) => Array.from(tr.cells)).filter((td) => td.scrollHeight > td.clientHeight + 1 || td.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(td).lineHeight)).length,
        // the head and 20 rows, from the head's top: one screen
        twenty: trs[19]!.getBoundingClientRect().bottom - head.top,
        overflowX: wrap.scrollWidth - wrap.clientWidth,
      };
    });
    expect(metrics.wrapped).toBe(0);
    expect(Math.max(...metrics.heights) - Math.min(...metrics.heights)).toBeLessThanOrEqual(1);
    expect(metrics.twenty).toBeLessThanOrEqual(900);
    // at 1280 px the list fits its box: no sideways scrolling for the usual columns
    expect(metrics.overflowX).toBeLessThanOrEqual(0);
    await shot(page, "jobs-compact");
  });

  it("starts a Sleep job by hand and SoftStops it from its page", async () => {
    await page.goto(`${b.base}/#/start`);
    await page.locator("select[name=process]").selectOption("Sleep");
    await page.getByLabel("Input arguments (JSON object)").fill('{"seconds": 600}');
    await page.getByRole("button", { name: "Start" }).click();
    await page.getByRole("heading", { name: /Sleep/ }).waitFor();
    await page.locator("h1 [data-state=Running]").waitFor();
    await shot(page, "job-running");
    await page.getByRole("button", { name: "SoftStop" }).click();
    await page.locator("h1 [data-state=Stopped]").waitFor();
    const key = page.url().split("#/jobs/")[1]!;
    expect((await b.apiJson(`/api/v1/jobs/${key}`)).state).toBe("Stopped");
    expect(await page.getByRole("button", { name: "Kill" }).count()).toBe(0);
  });

  it("kills a job only on a second click", async () => {
    const job = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Sleep", inputArguments: { seconds: 600 } } });
    await page.goto(`${b.base}/#/jobs/${job.key}`);
    await page.locator("h1 [data-state=Running]").waitFor();
    await page.getByRole("button", { name: "Kill", exact: true }).click();
    // the first click only asks
    await page.getByRole("button", { name: "Kill now" }).waitFor();
    expect((await b.apiJson(`/api/v1/jobs/${job.key}`)).state).toBe("Running");
    await shot(page, "job-kill-confirm");
    // "Keep it" backs out
    await page.getByRole("button", { name: "Keep it" }).click();
    await page.getByRole("button", { name: "Kill", exact: true }).waitFor();
    expect((await b.apiJson(`/api/v1/jobs/${job.key}`)).state).toBe("Running");
    await page.getByRole("button", { name: "Kill", exact: true }).click();
    await page.getByRole("button", { name: "Kill now" }).click();
    await page.locator("h1 [data-state=Stopped]").waitFor();
    expect((await b.apiJson(`/api/v1/jobs/${job.key}`)).state).toBe("Stopped");
  });

  it("renders a process description's Markdown, links only to http(s)", async () => {
    const description = "Books **an invoice**, see [the docs](https://example.com/docs), *not* [this one](javascript:void0) nor [that](data:text/html,x).\n\n- first\n- `second`";
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "Documented", description } });
    await page.goto(`${b.base}/#/processes`);
    const cell = page.locator('tr[data-process="Documented"] td.description');
    await cell.locator("strong").waitFor();
    expect(await cell.locator("strong").textContent()).toBe("an invoice");
    expect(await cell.locator("em").textContent()).toBe("not");
    const links = cell.locator("a");
    expect(await links.count()).toBe(1);
    expect(await links.getAttribute("href")).toBe("https://example.com/docs");
    expect(await links.textContent()).toBe("the docs");
    expect(await links.getAttribute("rel")).toBe("noopener noreferrer");
    // a javascript: or data: link is its text, not a link
    expect(await cell.getByText("this one", { exact: true }).evaluate((e) => e.tagName)).toBe("SPAN");
    expect(await cell.getByText("that", { exact: true }).evaluate((e) => e.tagName)).toBe("SPAN");
    expect(await cell.textContent()).not.toContain("javascript:");
    expect(await page.locator('a[href^="javascript"], a[href^="data"]').count()).toBe(0);
    expect(await cell.locator("li").allTextContents()).toEqual(["first", "second"]);
    expect(await cell.locator("li code").textContent()).toBe("second");
  });

  it("shows a banner while live updates are down, and hides it when they are back", async () => {
    // a context of its own: Chromium logs every aborted stream request as an error
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(WAIT);
    const p = await ctx.newPage();
    try {
      await login(p);
      await p.getByRole("heading", { name: "Jobs" }).waitFor();
      await p.getByTestId("live").filter({ hasText: "live" }).waitFor();
      const banner = p.getByRole("status").filter({ hasText: "Live updates are disconnected" });
      expect(await banner.count()).toBe(0);
      const events = /\/api\/v1\/events/;
      await p.route(events, (route) => route.abort());
      await p.reload();
      await p.getByRole("heading", { name: "Jobs" }).waitFor();
      await banner.waitFor();
      expect(await p.getByTestId("live").textContent()).toContain("offline");
      await shot(p, "offline-banner");
      // the stream comes back (EventSource's own retry, or the console's): the banner goes
      await p.unroute(events);
      await banner.waitFor({ state: "detached", timeout: 30_000 });
      await p.getByTestId("live").filter({ hasText: "live" }).waitFor();
    } finally {
      await ctx.close();
    }
  });

  it("shows the robot key's folder checkboxes and the settings toggle in their normal shape", async () => {
    await page.goto(`${b.base}/#/robots`);
    const box = page.locator("fieldset.folder-picks input[type=checkbox]").first();
    await box.waitFor();
    const size = (await box.boundingBox())!;
    expect(size.width).toBeGreaterThanOrEqual(12);
    expect(Math.abs(size.width - size.height)).toBeLessThanOrEqual(1);
    // beside its label's text, on one line
    const label = (await page.locator("fieldset.folder-picks label").first().boundingBox())!;
    expect(label.height).toBeLessThan(2 * size.height + 8);
    await box.check();
    expect(await box.isChecked()).toBe(true);
    await box.uncheck();

    await page.goto(`${b.base}/#/settings`);
    const toggle = page.locator("label.toggle");
    await toggle.waitFor();
    const hint = (await page.locator("#syncRedirectsRequireAuth-hint").boundingBox())!;
    const text = (await toggle.locator("span").boundingBox())!;
    // the hint is under the label, not over it
    expect(hint.y).toBeGreaterThanOrEqual(text.y + text.height - 1);
    await shot(page, "settings-toggle");
  });

  it("manages folders, processes, users, tokens, robot keys and settings", async () => {
    await page.goto(`${b.base}/#/folders`);
    await page.getByLabel("New folder name").fill("Finance");
    await page.getByRole("button", { name: "Create folder" }).click();
    await page.getByRole("cell", { name: "Finance", exact: true }).waitFor();

    await page.goto(`${b.base}/#/processes`);
    await page.getByRole("button", { name: "New process" }).click();
    await page.locator("input[name=name]").fill("Invoice");
    await page.locator("[name=description]").fill("Books an invoice");
    await page.getByRole("button", { name: "Create process" }).click();
    await page.locator('tr[data-process="Invoice"]').waitFor();
    expect((await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes/Invoice`)).description).toBe("Books an invoice");

    await page.goto(`${b.base}/#/users`);
    await page.getByRole("button", { name: "New user" }).click();
    await page.locator("input[name=userName]").fill("dev");
    await page.locator("input[name=newPassword]").fill("dev-password");
    await page.getByLabel("Role", { exact: true }).selectOption("Automation Developer");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("cell", { name: "Automation Developer (tenant)" }).waitFor();

    await page.goto(`${b.base}/#/tokens`);
    await page.locator("input[name=tokenName]").fill("ci");
    await page.getByRole("button", { name: "Create token" }).click();
    const pat = (await page.getByTestId("secret").textContent())!;
    expect(pat).toMatch(/^baton_pat_/);
    expect((await fetch(`${b.base}/api/v1/jobs?limit=1`, { headers: { authorization: `Bearer ${pat}` } })).status).toBe(200);
    await page.getByRole("button", { name: "Done" }).click();

    await page.goto(`${b.base}/#/robots`);
    await page.getByLabel("New robot key name").fill("robot-1");
    await page.getByRole("button", { name: "Create robot key" }).click();
    const key = (await page.getByTestId("secret").textContent())!;
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByRole("button", { name: "Rotate" }).click();
    await expect.poll(() => page.getByTestId("secret").textContent(), { timeout: WAIT }).not.toBe(key);
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByRole("button", { name: "Revoke", exact: true }).click();
    await page.getByRole("button", { name: "Revoke for good" }).click();
    await page.getByText(/^revoked/).waitFor();

    await page.goto(`${b.base}/#/settings`);
    await page.locator("input[name=longPollTimeoutSeconds]").fill("60");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    expect((await b.apiJson("/api/v1/settings")).longPollTimeoutSeconds).toBe(60);
  });

  it("manages webhooks: the secret once, a test ping, its deliveries with attempts, redelivery", async () => {
    const received: string[] = [];
    const receiver = createServer((req, res) => { req.resume(); req.on("end", () => { received.push(String(req.headers["webhook-id"])); res.writeHead(204).end(); }); });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const options = b.baton.webhooks.dispatcher.options;
    options.allowPrivate = true;
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await page.goto(`${b.base}/#/webhooks`);
      await page.locator("input[name=webhookUrl]").fill(url);
      await page.getByRole("button", { name: "Create webhook" }).click();
      expect(await page.getByTestId("secret").textContent()).toMatch(/^whsec_/);
      await page.getByRole("button", { name: "Done" }).click();
      await page.getByTestId("webhook-row").getByText(url).waitFor();
      await page.getByRole("button", { name: "Send test" }).click();
      await page.getByTestId("webhook-deliveries").waitFor();
      await expect.poll(() => received.length, { timeout: WAIT }).toBe(1);
      await expect.poll(async () => {
        await page.getByTestId("webhook-deliveries").getByRole("button", { name: "Refresh" }).click();
        return page.getByTestId("webhook-delivery").first().locator("summary").textContent();
      }, { timeout: WAIT }).toContain("1 attempt");
      await page.getByTestId("webhook-delivery").first().locator("summary").click();
      await page.getByTestId("webhook-delivery").first().getByRole("cell", { name: "204", exact: true }).waitFor();
      await page.getByRole("button", { name: "Redeliver" }).click();
      await expect.poll(() => received.length, { timeout: WAIT }).toBe(2);
      expect(received[1]).toBe(received[0]);
      await shot(page, "webhooks");
    } finally {
      options.allowPrivate = false;
      receiver.closeAllConnections();
      receiver.close();
    }
  });

  it("creates a time trigger with its cron in words and next runs; its page lists its next 5 runs and its jobs", async () => {
    await page.getByRole("link", { name: "Time triggers" }).click();
    await page.getByRole("button", { name: "New time trigger" }).click();
    const form = page.getByRole("form", { name: "New time trigger" });
    await form.locator("select[name=processName]").selectOption("Echo");
    await form.getByLabel("Name").fill("Console nightly");
    await form.locator("input[name=cron]").fill("30 2 * * *");
    await form.locator("input[name=timeZone]").fill("Europe/Berlin");
    await expect.poll(() => form.getByTestId("cron-description").textContent(), { timeout: WAIT }).toBe("At 02:30, every day (Europe/Berlin)");
    expect(await form.getByTestId("next-runs").locator("li").count()).toBe(5);
    // another shape as it is typed (a refused cron shows its violation: test/timeTriggers.test.ts covers the 400)
    await form.locator("input[name=cron]").fill("*/15 * * * *");
    await expect.poll(() => form.getByTestId("cron-description").textContent(), { timeout: WAIT }).toBe("Every 15 minutes (Europe/Berlin)");
    await form.locator("input[name=cron]").fill("30 2 * * *");
    await expect.poll(() => form.getByTestId("cron-description").textContent(), { timeout: WAIT }).toBe("At 02:30, every day (Europe/Berlin)");
    await shot(page, "time-trigger-form");
    await form.getByRole("button", { name: "Create time trigger" }).click();
    await page.getByRole("heading", { name: "Console nightly" }).waitFor();
    await expect.poll(() => page.getByTestId("next-runs").locator("li").count(), { timeout: WAIT }).toBe(5);
    const first = await page.getByTestId("next-runs").locator("li time").first().getAttribute("datetime");
    expect(await page.getByTestId("next-run").locator("time").getAttribute("datetime")).toBe(first);

    // one that fires every second: its jobs show up on its page, each with its slot
    const every = await b.apiJson(`/api/v1/folders/${b.sharedKey}/time-triggers`, { method: "POST", json: { name: "Console every second", processName: "Echo", cron: "* * * * * *" } });
    await page.goto(`${b.base}/#/time-triggers/${every.id}`);
    await page.getByRole("heading", { name: "Console every second" }).waitFor();
    // each look waits for the page's list to load (its table, or "No jobs yet."): counted at
    // once after a reload, the rows were 0 whenever the load took longer than a poll's turn
    await expect.poll(async () => {
      await page.reload();
      await page.getByTestId("time-trigger-jobs").or(page.getByText("No jobs yet.")).first().waitFor();
      return page.getByTestId("time-trigger-jobs").locator("tbody tr").count();
    }, { timeout: WAIT }).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Enable" }).waitFor();
    await shot(page, "time-trigger");

    // the folder's list: both, with their next runs (none while disabled)
    await page.getByRole("link", { name: "← Time triggers" }).click();
    await page.locator('tr[data-time-trigger="Console nightly"]').waitFor();
    expect(await page.locator('tr[data-time-trigger="Console nightly"] [data-testid=next-run] time').getAttribute("datetime")).toBe(first);
    expect(await page.getByRole("switch", { name: "Console every second enabled" }).isChecked()).toBe(false);
    await shot(page, "time-triggers");
  });

  it("shows every page without an error, and screenshots them", async () => {
    for (const [path, heading] of [
      ["processes", "Processes"], ["robots", "Robots"], ["folders", "Folders"], ["users", "Users & roles"], ["tokens", "Tokens"],
      ["external-apps", "External applications"], ["settings", "Tenant settings"], ["audit", "Audit"],
    ] as const) {
      await page.goto(`${b.base}/#/${path}`);
      await page.getByRole("heading", { name: heading, exact: true }).waitFor();
      await page.locator("[aria-busy=true]").first().waitFor({ state: "detached" });
      await shot(page, path);
    }
    // the robots page lists the demo robot's live session
    await page.goto(`${b.base}/#/robots`);
    await page.getByTestId("sessions").getByText("in-process-robot").waitFor();
    // with its slots in use out of its slots, from the server
    const row = page.getByTestId("sessions").locator("tr", { hasText: "in-process-robot" });
    expect(await row.locator("td").nth(3).textContent()).toMatch(/^\d+ \/ \d+$/);
    // external applications need an organization administrator's token: said clearly
    await page.goto(`${b.base}/#/external-apps`);
    await page.getByTestId("external-apps-forbidden").waitFor();
    // the audit log has the trigger this test created
    await page.goto(`${b.base}/#/audit`);
    await page.getByText("trigger.create").first().waitFor();
  });

  it("is usable at 390 px: a collapsible nav, no horizontal overflow", async () => {
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    narrow.setDefaultTimeout(WAIT);
    const p = await narrow.newPage();
    watch(p);
    try {
      await login(p);
      await p.getByRole("heading", { name: "Jobs" }).waitFor();
      const nav = p.getByRole("navigation", { name: "Main" });
      await nav.waitFor({ state: "hidden" });
      const width = () => p.evaluate(() => document.documentElement.scrollWidth);
      expect(await width()).toBeLessThanOrEqual(390);
      await shot(p, "narrow-jobs");
      await p.getByRole("button", { name: "Menu" }).click();
      await nav.waitFor({ state: "visible" });
      await shot(p, "narrow-nav");
      await nav.getByRole("link", { name: "Triggers", exact: true }).click();
      await p.getByRole("heading", { name: "Triggers" }).waitFor();
      // following a link closes the menu: wait for that state rather than reading it once
      await nav.waitFor({ state: "hidden" });
      expect(await p.getByRole("button", { name: "Menu" }).getAttribute("aria-expanded")).toBe("false");
      expect(await width()).toBeLessThanOrEqual(390);
      await p.getByRole("link", { name: "Console echo" }).click();
      await p.getByTestId("snippet").waitFor();
      expect(await width()).toBeLessThanOrEqual(390);
      await shot(p, "narrow-trigger");
      // the keyboard reaches the menu button and a visible focus ring
      await p.keyboard.press("Tab");
      expect(await p.evaluate(() => document.activeElement?.tagName)).toMatch(/^(BUTTON|A|INPUT|SELECT|TEXTAREA)$/);
    } finally {
      await narrow.close();
    }
  });

  it("shows a Viewer only what the role allows, without the actions it lacks", async () => {
    await b.apiJson("/api/v1/users", { method: "POST", json: { name: "viewer", password: "viewer-password", roles: [{ role: "Viewer", folderKey: null }] } });
    const viewer = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    viewer.setDefaultTimeout(WAIT);
    const p = await viewer.newPage();
    watch(p);
    try {
      await login(p, "viewer-password", "viewer");
      await p.getByRole("heading", { name: "Jobs" }).waitFor();
      const nav = p.getByRole("navigation", { name: "Main" });
      expect(await nav.getByRole("link").allTextContents()).toEqual(["Jobs", "Triggers", "Time triggers", "Processes", "Robots", "Folders", "Tokens", "External apps", "Webhooks", "Settings", "Your account", "API reference"]);
      expect(await p.getByRole("link", { name: "Start a job" }).count()).toBe(0);
      await nav.getByRole("link", { name: "Triggers", exact: true }).click();
      await p.locator('tr[data-trigger="console-echo"]').waitFor();
      expect(await p.getByRole("button", { name: "New trigger" }).count()).toBe(0);
      expect(await p.getByRole("switch", { name: "Console echo enabled" }).isDisabled()).toBe(true);
      // a trigger's page: the snippets, but no "Try it" (an invocation needs Jobs.Create: 403)
      await p.getByRole("link", { name: "Console echo" }).click();
      await p.getByTestId("snippet").waitFor();
      await p.getByTestId("try-it-denied").waitFor();
      expect(await p.getByRole("heading", { name: "Try it" }).count()).toBe(0);
      expect(await p.getByRole("button", { name: "Invoke" }).count()).toBe(0);
      expect(await p.getByRole("button", { name: /^(Edit|Disable|Enable|Delete)$/ }).count()).toBe(0);
      // a job that is not final: no SoftStop, no Kill (Jobs.Edit)
      const pending = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Gate", inputArguments: {} } });
      await p.goto(`${b.base}/#/jobs/${pending.key}`);
      await p.locator("h1 [data-state=Pending]").waitFor();
      expect(await p.getByRole("button", { name: /SoftStop|Kill/ }).count()).toBe(0);
      // processes: no Start job, no New process, Edit or Delete
      await p.goto(`${b.base}/#/processes`);
      await p.locator('tr[data-process="Echo"]').waitFor();
      expect(await p.getByRole("button", { name: /^(Start job|New process|Edit|Delete)$/ }).count()).toBe(0);
      expect(await p.getByRole("link", { name: "Jobs", exact: true }).count()).toBeGreaterThan(0);
      // the start page, reached by its address: no form, no Start
      await p.goto(`${b.base}/#/start`);
      await p.getByTestId("start-denied").waitFor();
      expect(await p.getByRole("button", { name: "Start" }).count()).toBe(0);
      // robots, folders, settings: no changes offered
      await p.goto(`${b.base}/#/robots`);
      await p.getByRole("heading", { name: "Robot keys" }).waitFor();
      expect(await p.getByRole("button", { name: /Create robot key|Rotate|Revoke/ }).count()).toBe(0);
      await p.goto(`${b.base}/#/folders`);
      await p.getByRole("heading", { name: "Folders" }).waitFor();
      expect(await p.getByRole("button", { name: /Create folder|Rename|Delete/ }).count()).toBe(0);
      await p.goto(`${b.base}/#/settings`);
      await p.getByText("You may view the settings, not change them.").waitFor();
      expect(await p.getByRole("button", { name: "Save settings" }).count()).toBe(0);
      await shot(p, "viewer-settings");
      // what the server refuses is shown with its code: the audit log needs Audit.View
      await p.goto(`${b.base}/#/audit`);
      await expect.poll(() => p.getByTestId("error-code").textContent(), { timeout: WAIT }).toBe("permission-denied");
      await shot(p, "viewer-denied");
      // a new password ends the session: back to the login page, and the new one works
      await nav.getByRole("link", { name: "Your account" }).click();
      await p.getByLabel("Current password").fill("viewer-password");
      await p.getByLabel("New password (8 characters or more)").fill("viewer-password-2");
      await p.getByLabel("New password again").fill("viewer-password-2");
      await p.getByRole("button", { name: "Change password" }).click();
      await p.getByRole("button", { name: "Sign in" }).waitFor();
      await login(p, "viewer-password-2", "viewer");
      await p.getByRole("heading", { name: "Jobs" }).waitFor();
    } finally {
      await viewer.close();
    }
  });

  it("logs out, back to the login page", async () => {
    await page.goto(`${b.base}/#/jobs`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect((await context.cookies()).find((c) => c.name === "baton_session")).toBeUndefined();
  });

  it("had no console errors and no uncaught exceptions", () => {
    // Chromium reports every non-2xx answer as "Failed to load resource": the expected ones are
    // the session probe before login and the wrong password (401), the organization's routes
    // without an organization token (401) and the Viewer's audit log (403)
    const unexpected = errors.filter((e) => !/Failed to load resource: the server responded with a status of (401|403)/.test(e));
    expect(unexpected).toEqual([]);
  });
});
