import { describe, expect, it } from "vitest";
import { isValidHost } from "../../src/http/urls.js";

/** The Host check remembers valid values (every request checks its Host twice); answers never change. */
describe("isValidHost", () => {
  const valid = ["baton.internal", "baton.internal:8443", "203.0.113.7:8080", "[::1]:8080", "[2001:db8::1]", "baton_svc:8080", "localhost"];
  const invalid = ["evil.example/phish?", "evil.example:80x", "evil.example:99999", "[not-ipv6]:80", "a..b", "evil.example@other", "-lead.example", ""];

  it("answers the same the first time and every time after, valid or not", () => {
    for (let round = 0; round < 3; round++) {
      for (const host of valid) expect(isValidHost(host), host).toBe(true);
      for (const host of invalid) expect(isValidHost(host), host).toBe(false);
    }
  });

  it("stays right past its bound of remembered values", () => {
    for (let i = 0; i < 2500; i++) expect(isValidHost(`node-${i}.example:${1000 + (i % 60000)}`)).toBe(true);
    for (const host of valid) expect(isValidHost(host)).toBe(true);
    for (const host of invalid) expect(isValidHost(host)).toBe(false);
  });
});
