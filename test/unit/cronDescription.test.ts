import { describe, expect, it } from "vitest";
import { describeCron } from "../../src/core/cronDescription.js";
import { cronProblem, localTime, timeZoneProblem } from "../../src/core/cronSchedule.js";

describe("describeCron: common shapes in words, null for the rest", () => {
  it.each([
    ["30 2 * * *", "Europe/Berlin", "At 02:30, every day (Europe/Berlin)"],
    ["0 30 2 * * *", "UTC", "At 02:30, every day (UTC)"],
    ["* * * * * *", "UTC", "Every second (UTC)"],
    ["*/20 * * * * *", "UTC", "Every 20 seconds (UTC)"],
    ["15 * * * * *", "UTC", "At second 15 of every minute (UTC)"],
    ["* * * * *", "UTC", "Every minute (UTC)"],
    ["*/15 * * * *", "UTC", "Every 15 minutes (UTC)"],
    ["5 * * * *", "UTC", "At minute 5 of every hour (UTC)"],
    ["0 */2 * * *", "UTC", "At minute 0, every 2 hours (UTC)"],
    ["0 9 * * 1-5", "UTC", "At 09:00, on Monday through Friday (UTC)"],
    ["0 9 * * MON,WED,FRI", "UTC", "At 09:00, on Monday, Wednesday and Friday (UTC)"],
    ["0 18 * * 0", "UTC", "At 18:00, on Sunday (UTC)"],
    ["0 0 1 * *", "UTC", "At 00:00, on day 1 of every month (UTC)"],
    ["0 12 25 12 *", "UTC", "At 12:00, on 25 December (UTC)"],
    ["0 12 25 DEC *", "UTC", "At 12:00, on 25 December (UTC)"],
    ["@daily", "UTC", "At 00:00, every day (UTC)"],
    ["@hourly", "UTC", "At minute 0 of every hour (UTC)"],
  ])("%s (%s)", (cron, zone, sentence) => {
    expect(describeCron(cron, zone)).toBe(sentence);
  });

  it.each(["1,2 * * * *", "0 9-17 * * *", "15 0 0 * * *", "0 0 L * *", "0 0 1 * MON", "0 0 ? * 1#2"])("%s has no sentence", (cron) => {
    expect(describeCron(cron, "UTC")).toBeNull();
  });
});

describe("cron and time zone checks", () => {
  it("takes 5 or 6 fields, refuses 7 and croner's refusals, with its message", () => {
    expect(cronProblem("30 2 * * *")).toBeNull();
    expect(cronProblem("0 30 2 * * *")).toBeNull();
    expect(cronProblem("@weekly")).toBeNull();
    expect(cronProblem("0 0 0 1 1 * 2030")).toBe("must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); it has 7");
    expect(cronProblem("0 25 * * *")).toBe("is not a valid cron: Invalid value for hour: 25");
    expect(cronProblem(5)).toMatch(/^must be a cron of 5 fields/);
    expect(cronProblem("x".repeat(201))).toMatch(/^must be a cron of 5 fields/);
  });

  it("knows IANA zones", () => {
    expect(timeZoneProblem("Europe/Berlin")).toBeNull();
    expect(timeZoneProblem("UTC")).toBeNull();
    expect(timeZoneProblem("Mars/Olympus")).toBe("is not a time zone known here ('Mars/Olympus'); use an IANA name such as UTC or Europe/Berlin");
    expect(timeZoneProblem("")).toBe("must be an IANA time zone name such as UTC or Europe/Berlin");
  });

  it("shows an instant on a zone's wall clock with its offset", () => {
    expect(localTime(new Date("2027-03-28T01:00:00Z"), "Europe/Berlin")).toBe("2027-03-28T03:00:00+02:00");
    expect(localTime(new Date("2027-01-05T01:30:00Z"), "Europe/Berlin")).toBe("2027-01-05T02:30:00+01:00");
    expect(localTime(new Date("2027-01-05T01:30:00Z"), "UTC")).toBe("2027-01-05T01:30:00+00:00");
    expect(localTime(new Date("2027-01-05T01:30:00Z"), "Asia/Kolkata")).toBe("2027-01-05T07:00:00+05:30");
  });
});
