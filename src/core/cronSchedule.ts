import { Cron } from "croner";

/**
 * A time trigger's schedule: its cron read by croner (a well-kept library; never parsed or
 * iterated here), in an IANA time zone. Daylight-saving changes are croner's (Vixie cron's):
 * a fixed time that falls in the spring-forward gap fires at the first valid time after it
 * that day; one that occurs twice at fall-back fires once, at the first occurrence; interval
 * patterns skip the gap and fire through both passes of a repeated hour.
 */
export interface CronSchedule {
  /** the first slot strictly after `after`, or null when the cron has none */
  nextAfter(after: Date): Date | null;
  /** the next `count` slots strictly after `after` */
  nextRuns(count: number, after: Date): Date[];
}

/** longest cron text accepted */
export const MAX_CRON_LENGTH = 200;

/** Why `value` is not an IANA time zone name Node knows, or null. */
export function timeZoneProblem(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 64) return "must be an IANA time zone name such as UTC or Europe/Berlin";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return null;
  } catch {
    return `is not a time zone known here ('${value}'); use an IANA name such as UTC or Europe/Berlin`;
  }
}

function cronOf(cron: string, timeZone: string): Cron {
  // paused: croner only computes slots here, it never runs anything (the due-work table does)
  return new Cron(cron, { timezone: timeZone, mode: "5-or-6-parts", paused: true });
}

/** Why `value` is not a cron of 5 fields (or 6, seconds first), or null. */
export function cronProblem(value: unknown): string | null {
  if (typeof value !== "string" || value.trim() === "" || value.length > MAX_CRON_LENGTH) {
    return `must be a cron of 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), at most ${MAX_CRON_LENGTH} characters`;
  }
  const fields = value.trim().split(/\s+/).length;
  if (!value.trim().startsWith("@") && fields !== 5 && fields !== 6) {
    return `must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); it has ${fields}`;
  }
  try {
    cronOf(value, "UTC");
    return null;
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/^CronPattern: /, "") : String(err);
    return `is not a valid cron: ${message}`;
  }
}

/** The schedule of a cron and time zone already checked by `cronProblem` and `timeZoneProblem`. */
export function cronSchedule(cron: string, timeZone: string): CronSchedule {
  const schedule = cronOf(cron, timeZone);
  return {
    nextAfter: (after) => schedule.nextRun(after),
    nextRuns: (count, after) => schedule.nextRuns(count, after),
  };
}

/** `2026-03-29T03:00:00+02:00`: an instant as the wall clock of `timeZone` shows it, with its offset. */
export function localTime(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "longOffset",
  }).formatToParts(at).map((p) => [p.type, p.value]));
  const offset = parts.timeZoneName === "GMT" ? "+00:00" : String(parts.timeZoneName).replace("GMT", "");
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}
