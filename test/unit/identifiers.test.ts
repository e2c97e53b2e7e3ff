import { describe, expect, it } from "vitest";
import { isUuid, timeOrderedUuid } from "../../src/core/identifiers.js";

describe("timeOrderedUuid (UUID version 7: job keys, webhook delivery ids)", () => {
  it("is a UUID of version 7 and the RFC 9562 variant, carrying the time in its first 48 bits", () => {
    const at = Date.UTC(2026, 11, 7, 6, 40, 0, 123);
    const key = timeOrderedUuid(at);
    expect(isUuid(key)).toBe(true);
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(key.slice(0, 8) + key.slice(9, 13), 16)).toBe(at);
  });

  it("sorts by time as text (keys land at the end of their index), and differs within a millisecond", () => {
    const keys = [1, 2, 1000, 1_700_000_000_000, 1_700_000_000_001, 2 ** 47].map((t) => timeOrderedUuid(t));
    expect([...keys].sort()).toEqual(keys);
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(42)));
    expect(same.size).toBe(1000);
  });
});
