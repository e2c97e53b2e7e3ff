import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, type TestBaton } from "../helpers/baton.js";
import { repoRoot } from "../helpers/child.js";

/**
 * The API reference (routes/apiReference.ts) in Debian's Chromium, against a real Baton on a
 * real socket: opened from the console's link, it renders the tenant's document, and "Try
 * it out" sends the token entered under Authorize, not the console's session cookie. Every
 * request the browser makes is recorded: none may go to a host other than the Baton server
 * (any that tried would be aborted, so the test never leaves the machine either).
 */
const CHROMIUM = process.env.BATON_TEST_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = join(repoRoot, "test-results", "api-reference");
const WAIT = 15_000;

let b: TestBaton;
let browser: Browser;
let context: BrowserContext;
/** every URL the browser requested, data: URLs aside */
const requested: string[] = [];
/** console errors and uncaught exceptions (a CSP violation is a console error) */
const errors: string[] = [];

function watch(p: Page): void {
  p.on("console", (m) => { if (m.type() === "error") errors.push(`${p.url()}: ${m.text()}`); });
  p.on("pageerror", (e) => errors.push(`${p.url()}: uncaught ${e.message}`));
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  b = await startTestBaton({}, { demo: false });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(WAIT);
  const baton = new URL(b.url).host;
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requested.push(url);
    return new URL(url).host === baton ? route.continue() : route.abort("blockedbyclient");
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await b?.close();
});

/** the request of the reference's "Try it out" to GET /api/v1/folders, and its status */
async function tryListFolders(p: Page, shot?: string): Promise<{ request: Request; status: string }> {
  const op = p.locator("#operations-Folders-listFolders");
  const pending = p.waitForRequest((r) => new URL(r.url()).pathname === `${new URL(b.base).pathname}/api/v1/folders`);
  await op.getByRole("button", { name: "Execute" }).click();
  const request = await pending;
  const status = op.locator(".live-responses-table .response .response-col_status");
  await status.first().waitFor();
  const text = (await status.first().textContent())!.trim();
  if (shot) await op.screenshot({ path: join(SHOTS, `${shot}.png`) });
  await op.getByRole("button", { name: "Clear" }).click();
  return { request, status: text };
}

describe("the API reference in a browser", () => {
  it("opens from the console's link, renders the document, and tries calls with the token entered, without leaving the server", async () => {
    // a console session in this browser: its cookie must not be what "Try it out" uses
    const consolePage = await context.newPage();
    watch(consolePage);
    await consolePage.goto(`${b.base}/`);
    await consolePage.getByLabel("User name").fill("admin");
    await consolePage.getByLabel("Password").fill("test-password");
    await consolePage.getByRole("button", { name: "Sign in" }).click();
    await consolePage.getByRole("heading", { name: "Jobs" }).waitFor();

    const link = consolePage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API reference" });
    expect(await link.getAttribute("target")).toBe("_blank");
    const opened = context.waitForEvent("page");
    await link.click();
    const p = await opened;
    watch(p);
    await p.waitForLoadState();
    expect(p.url()).toBe(`${b.base}/api/v1/reference`);

    // the document's title and version, rendered by Swagger UI from this tenant's openapi.json
    const title = p.locator(".information-container .title");
    await title.waitFor();
    expect(await title.textContent()).toContain("Baton");
    expect(await title.textContent()).toContain("1.0.0");
    await p.locator("#operations-Folders-listFolders").waitFor();
    // the document renders as it is: no warning from Swagger UI about it
    expect(await p.locator(".swagger-ui .errors-wrapper").count()).toBe(0);
    await p.screenshot({ path: join(SHOTS, "reference.png") });

    // "Try it out" before Authorize: no token, and the session cookie is not sent either
    await p.locator("#operations-Folders-listFolders .opblock-summary").click();
    await p.locator("#operations-Folders-listFolders").getByRole("button", { name: "Try it out" }).click();
    const anonymous = await tryListFolders(p);
    expect(anonymous.status).toBe("401");
    const anonymousHeaders = await anonymous.request.allHeaders();
    expect(anonymousHeaders.authorization).toBeUndefined();
    expect(anonymousHeaders.cookie ?? "").not.toContain("baton_session");

    // Authorize with the token, then the same call carries it
    await p.locator(".auth-wrapper .btn.authorize").click();
    const bearer = p.locator(".auth-container").filter({ has: p.locator("h4", { hasText: /^bearerAuth/ }) });
    await bearer.locator("input").fill(b.token);
    // (Swagger UI labels its Authorize and Logout buttons "Apply credentials" and "Remove authorization")
    await bearer.getByRole("button", { name: "Apply credentials" }).click();
    await bearer.getByRole("button", { name: "Remove authorization" }).waitFor();
    await bearer.getByRole("button", { name: "Close" }).click();
    const authorized = await tryListFolders(p, "try-it");
    expect(authorized.status).toBe("200");
    const headers = await authorized.request.allHeaders();
    expect(headers.authorization).toBe(`Bearer ${b.token}`);
    expect(headers.cookie ?? "").not.toContain("baton_session");

    // every request went to the Baton server: the page, its files, the document, the calls
    const hosts = new Set(requested.filter((u) => !u.startsWith("data:")).map((u) => new URL(u).host));
    expect([...hosts]).toEqual([new URL(b.url).host]);
    expect(requested.some((u) => u.endsWith("/api/v1/openapi.json"))).toBe(true);
    expect(requested.some((u) => /\/api\/v1\/reference\/swagger-ui-bundle\.js\?v=\w+$/.test(u))).toBe(true);
    // no CSP violation, no uncaught error (the 401 above is the only failed load)
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
