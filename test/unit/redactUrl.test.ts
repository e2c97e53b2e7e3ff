import { describe, expect, it } from "vitest";
import { redactUrl } from "../../src/http/server.js";

/** What a request's URL looks like in the logs (docs/deployment.md, "Secrets in logs"). */
describe("redactUrl", () => {
  it("keeps the list filters and cursors of the management API, redacts everything else", () => {
    expect(redactUrl("/default/T/orchestrator_/api/v1/jobs?state=Running&limit=5&cursor=abc&token=s3cret"))
      .toBe("/default/T/orchestrator_/api/v1/jobs?state=Running&limit=5&cursor=abc&token=[redacted]");
    expect(redactUrl("/default/T/orchestrator_/api/v1/jobs/k/wait?exp=123&sig=abc")).toBe("/default/T/orchestrator_/api/v1/jobs/k/wait?exp=123&sig=[redacted]");
  });

  it("redacts every invocation argument, whatever its name, and keeps the call mode", () => {
    expect(redactUrl("/default/T/orchestrator_/t/f/slug?since=secret-1&limit=secret-2&$callMode=LongPolling&password=p"))
      .toBe("/default/T/orchestrator_/t/f/slug?since=[redacted]&limit=[redacted]&$callMode=LongPolling&password=[redacted]");
  });

  it("redacts a bare name, which is itself the value (?<token>)", () => {
    expect(redactUrl("/default/T/orchestrator_/api/v1/folders?baton_pat_abcdef")).toBe("/default/T/orchestrator_/api/v1/folders?[redacted]");
    expect(redactUrl("/default/T/orchestrator_/t/f/slug?baton_pat_abcdef")).toBe("/default/T/orchestrator_/t/f/slug?[redacted]");
    expect(redactUrl("/default/T/orchestrator_/api/v1/jobs?")).toBe("/default/T/orchestrator_/api/v1/jobs?");
  });
});
