import { describe, expect, it } from "vitest";
import { Gate, GateFull } from "../../src/core/Gate.js";
import { PASSWORD_HASHES_AT_ONCE, addressBlock, hashPassword, passwordHashing, verifyPassword } from "../../src/core/Users.js";
import { threadpoolSize } from "../../src/http/metrics.js";

const flush = () => new Promise((r) => setImmediate(r));

describe("Gate: at most `limit` tasks at once, the others in order", () => {
  it("runs 2 at once; the next starts, in arrival order, when one ends; a task that fails gives its place back", async () => {
    const gate = new Gate(2);
    const started: number[] = [];
    const enders: Record<number, { done: () => void; fail: () => void }> = {};
    const task = (i: number) => gate.run(() => new Promise<number>((resolve, reject) => {
      started.push(i);
      enders[i] = { done: () => resolve(i), fail: () => reject(new Error(`task ${i} failed`)) };
    }));
    const runs = [1, 2, 3, 4, 5].map(task);
    await flush();
    expect(started).toEqual([1, 2]);
    expect([gate.active, gate.queued]).toEqual([2, 3]);
    enders[2]!.fail();
    await expect(runs[1]).rejects.toThrow("task 2 failed");
    await flush();
    expect(started).toEqual([1, 2, 3]);
    enders[1]!.done();
    expect(await runs[0]).toBe(1);
    await flush();
    expect(started).toEqual([1, 2, 3, 4]);
    enders[3]!.done();
    enders[4]!.done();
    await flush();
    enders[5]!.done();
    expect(await Promise.all(runs.slice(2))).toEqual([3, 4, 5]);
    expect([gate.active, gate.queued]).toEqual([0, 0]);
  });
});

describe("Gate: a queue's bound", () => {
  it("with maxQueued tasks waiting, refuses the next at once (GateFull), and takes it again once one has left", async () => {
    const gate = new Gate(1);
    let release!: () => void;
    const held = gate.run(() => new Promise<void>((r) => { release = r; }));
    const queued = gate.run(async () => "queued", 1);
    await expect(gate.run(async () => "third", 1)).rejects.toBeInstanceOf(GateFull);
    await expect(gate.run(async () => "third", 1)).rejects.toThrow("1 tasks are running and 1 waiting.");
    // without a bound it waits
    const unbounded = gate.run(async () => "unbounded");
    expect(gate.queued).toBe(2);
    release();
    await held;
    expect(await queued).toBe("queued");
    expect(await unbounded).toBe("unbounded");
    expect(await gate.run(async () => "later", 1)).toBe("later");
  });

  it("lets at least 1 task run", () => {
    expect(() => new Gate(0)).toThrow("A gate lets at least 1 task run at once, not 0.");
    expect(() => new Gate(Number.NaN)).toThrow();
  });
});

describe("password hashing goes through its gate", () => {
  it("computes 2 scrypts at once, however many logins arrive; each still answers right", async () => {
    expect(PASSWORD_HASHES_AT_ONCE).toBe(2);
    const stored = await hashPassword("correct horse battery");
    const checks = [...Array.from({ length: 4 }, () => verifyPassword("wrong password", stored)), verifyPassword("correct horse battery", stored), hashPassword("another one")];
    await flush();
    expect(passwordHashing.active).toBe(2);
    expect(passwordHashing.queued).toBe(4);
    const results = await Promise.all(checks);
    expect(results.slice(0, 5)).toEqual([false, false, false, false, true]);
    expect(results[5]).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect([passwordHashing.active, passwordHashing.queued]).toEqual([0, 0]);
  });
});

describe("threadpoolSize: what libuv makes of UV_THREADPOOL_SIZE", () => {
  it("4 unset; the number, at least 1 and at most 1,024, as atoi reads it", () => {
    expect(threadpoolSize(undefined)).toBe(4);
    expect(threadpoolSize("8")).toBe(8);
    expect(threadpoolSize(" 16")).toBe(16);
    expect(threadpoolSize("12abc")).toBe(12);
    expect(threadpoolSize("abc")).toBe(1);
    expect(threadpoolSize("0")).toBe(1);
    expect(threadpoolSize("5000")).toBe(1024);
    // atoi's -3 in an unsigned number: the most
    expect(threadpoolSize("-3")).toBe(1024);
  });
});

describe("addressBlock: what the login throttle counts an address as", () => {
  it("an IPv6 address by its /64; IPv4, also mapped into IPv6, as it is", () => {
    expect(addressBlock("198.51.100.7")).toBe("198.51.100.7");
    expect(addressBlock("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(addressBlock("2001:db8:1:2::17")).toBe("2001:db8:1:2::/64");
    expect(addressBlock("2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(addressBlock("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressBlock("::1")).toBe("0:0:0:0::/64");
    expect(addressBlock("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    // IPv4 inside IPv6, however it is spelled
    expect(addressBlock("::ffff:c633:6407")).toBe("198.51.100.7");
    expect(addressBlock("0:0:0:0:0:ffff:198.51.100.7")).toBe("198.51.100.7");
    // not an address (a proxy's odd header): as it is, so that it shares no bucket with real ones
    expect(addressBlock(":::")).toBe(":::");
    expect(addressBlock("1::2::3")).toBe("1::2::3");
    expect(addressBlock("1:2:3:4:5:6:7:8:9")).toBe("1:2:3:4:5:6:7:8:9");
  });
});
