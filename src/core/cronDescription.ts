/**
 * A readable sentence for the common shapes of a cron ("At 02:30, every day
 * (Europe/Berlin)"), or null for the others: the console then shows the next runs instead.
 * It only describes; croner alone decides when a trigger fires (cronSchedule.ts).
 */

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
};
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const MONTH_NAMES = MONTHS.map((m) => m.slice(0, 3).toUpperCase());

const number = (field: string, max: number): number | null => (/^\d{1,2}$/.test(field) && Number(field) <= max ? Number(field) : null);
const step = (field: string): number | null => (/^\*\/\d{1,2}$/.test(field) ? Number(field.slice(2)) : null);
const pad = (n: number) => String(n).padStart(2, "0");
const plural = (n: number, unit: string) => (n === 1 ? `every ${unit}` : `every ${n} ${unit}s`);

function day(field: string): string | null {
  const upper = field.toUpperCase();
  const named = DAY_NAMES.indexOf(upper);
  if (named >= 0) return DAYS[named]!;
  const n = number(field, 7);
  return n === null ? null : DAYS[n]!;
}

/** `1-5` → "Monday through Friday", `1,3` → "Monday and Wednesday", `0` → "Sunday" */
function days(field: string): string | null {
  const range = /^([^-,]+)-([^-,]+)$/.exec(field);
  if (range) {
    const [from, to] = [day(range[1]!), day(range[2]!)];
    return from && to ? `${from} through ${to}` : null;
  }
  const names = field.split(",").map(day);
  if (names.some((n) => n === null)) return null;
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function month(field: string): string | null {
  const named = MONTH_NAMES.indexOf(field.toUpperCase());
  if (named >= 0) return MONTHS[named]!;
  const n = number(field, 12);
  return n !== null && n >= 1 ? MONTHS[n - 1]! : null;
}

/** the sentence without its time zone, or null */
function describeFields(second: string, minute: string, hour: string, dom: string, mon: string, dow: string): string | null {
  const everyDay = dom === "*" && mon === "*" && dow === "*";
  if (second !== "0") {
    // second-level patterns: only the simplest shapes
    if (minute !== "*" || hour !== "*" || !everyDay) return null;
    if (second === "*") return "Every second";
    const s = step(second);
    if (s !== null && s > 0) return `Every ${s} seconds`.replace("Every 1 seconds", "Every second");
    const at = number(second, 59);
    return at === null ? null : `At second ${at} of every minute`;
  }
  if (everyDay && hour === "*") {
    if (minute === "*") return "Every minute";
    const m = step(minute);
    if (m !== null && m > 0) return plural(m, "minute").replace(/^e/, "E");
    const at = number(minute, 59);
    return at === null ? null : `At minute ${at} of every hour`;
  }
  const m = number(minute, 59);
  if (m === null) return null;
  if (everyDay) {
    const h = step(hour);
    if (h !== null && h > 0) return `At minute ${m}, ${plural(h, "hour")}`;
  }
  const h = number(hour, 23);
  if (h === null) return null;
  const time = `At ${pad(h)}:${pad(m)}`;
  if (everyDay) return `${time}, every day`;
  if (dom === "*" && mon === "*") {
    const d = days(dow);
    return d === null ? null : `${time}, on ${d}`;
  }
  if (dow !== "*") return null;
  const date = number(dom, 31);
  if (date === null || date < 1) return null;
  if (mon === "*") return `${time}, on day ${date} of every month`;
  const name = month(mon);
  return name === null ? null : `${time}, on ${date} ${name}`;
}

/** "At 02:30, every day (Europe/Berlin)", or null when the cron is not one of the shapes described. */
export function describeCron(cron: string, timeZone: string): string | null {
  const text = NICKNAMES[cron.trim().toLowerCase()] ?? cron.trim();
  const fields = text.split(/\s+/);
  if (fields.length === 5) fields.unshift("0");
  if (fields.length !== 6) return null;
  const [second, minute, hour, dom, mon, dow] = fields as [string, string, string, string, string, string];
  const sentence = describeFields(second, minute, hour, dom, mon, dow.replace(/^\?$/, "*"));
  return sentence === null ? null : `${sentence} (${timeZone})`;
}
