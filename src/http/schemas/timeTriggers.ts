/** Time triggers (routes/timeTriggers.ts). Their bodies are checked by the core (timeTriggerInput.ts, every fault listed; coreChecked.ts). */
import { Type, type TSchema } from "typebox";
import { MAX_CRON_LENGTH } from "../../core/cronSchedule.js";
import { MISSED_RUN_POLICIES, PRIORITIES } from "../../core/types.js";
import { DateTime, NullableDateTime, Page, StringEnum, Uuid } from "./common.js";
import { named } from "./named.js";
import { NAME_CHARS } from "./processes.js";

const readOnly = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, readOnly: true, description });

const settable = {
  name: Type.String({
    minLength: 1, maxLength: 128, pattern: `^(?!\\s)${NAME_CHARS}{1,128}(?<!\\s)$`,
    description: "Unique in the folder. 1-128 characters, without '/', '\\', control characters or surrounding whitespace.",
  }),
  processName: Type.String({ minLength: 1, description: "The name of a process in the trigger's folder." }),
  cron: Type.String({
    minLength: 1, maxLength: MAX_CRON_LENGTH, examples: ["30 2 * * *", "0 */15 * * * *", "0 9 * * MON-FRI"],
    description: "5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; croner's syntax (`L`, `W`, `#`, names, `@daily`, …). Day-of-month and day-of-week combine with OR.",
  }),
  timeZone: Type.String({ default: "UTC", examples: ["UTC", "Europe/Berlin"], description: "An IANA time zone; daylight-saving changes fire as croner defines them." }),
  arguments: Type.Record(Type.String(), Type.Unknown(), {
    propertyNames: { not: { pattern: "^\\$" } }, default: {},
    description: "Input arguments of each job, over the process's defaults. No key starts with `$`.",
  }),
  priority: StringEnum(["Inherit", ...PRIORITIES] as const, { description: "Inherit (the default): the process's priority." }),
  enabled: Type.Boolean({ default: true, description: "A disabled trigger fires nothing and has nothing due; enabling it schedules from now (no backlog)." }),
  missedRunPolicy: StringEnum(MISSED_RUN_POLICIES, {
    description: "Slots missed while every node was down: Skip (the default) creates no job for them, RunOnce one job for all of them. Then the trigger goes on from its next slot.",
  }),
};
const readOnlyFields = {
  id: readOnly(Uuid(), "Assigned by the orchestrator; the `timeTriggerId` of the jobs it starts."),
  folderKey: readOnly(Uuid(), "The folder of the trigger and of its process."),
  description: readOnly(Type.Union([Type.String(), Type.Null()]), "The cron in words, for common shapes (\"At 02:30, every day (Europe/Berlin)\"); null otherwise."),
  nextRunAt: readOnly(NullableDateTime(), "The slot it fires next; null while disabled."),
  createdAt: readOnly(DateTime(), "When the trigger was created."),
  updatedAt: readOnly(DateTime(), "When the trigger was last changed."),
};
const optional = (properties: Record<string, TSchema>): Record<string, TSchema> => Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)]));

export const TimeTrigger = named("TimeTrigger", Type.Object({
  id: readOnlyFields.id, folderKey: readOnlyFields.folderKey, name: settable.name, processName: settable.processName, cron: settable.cron, timeZone: settable.timeZone,
  description: readOnlyFields.description, arguments: settable.arguments, priority: settable.priority, enabled: settable.enabled, missedRunPolicy: settable.missedRunPolicy,
  nextRunAt: readOnlyFields.nextRunAt, createdAt: readOnlyFields.createdAt, updatedAt: readOnlyFields.updatedAt,
}));
export const TimeTriggerPage = named("TimeTriggerPage", Page(TimeTrigger, false));

const { name, processName, cron, ...rest } = settable;
export const TimeTriggerInput = named("TimeTriggerInput", Type.Object({ name, processName, cron, ...optional(rest), ...optional(readOnlyFields) }, {
  additionalProperties: false,
  description: "Read-only fields are ignored, so a fetched trigger can be sent back; any other unknown field is 400 invalid-time-trigger.",
}));
export const TimeTriggerPatch = named("TimeTriggerPatch", Type.Object({ ...optional(settable), ...optional(readOnlyFields) }, {
  additionalProperties: false,
  description: "The fields to change; `{ enabled: false }` disables it. A new cron, time zone or enabling schedules from now.",
}));

export const TimeTriggerPreview = named("TimeTriggerPreview", Type.Object({
  description: Type.Union([Type.String(), Type.Null()], { description: "The cron in words, for common shapes; null otherwise." }),
  items: Type.Array(Type.Object({
    at: Type.String({ format: "date-time", description: "A slot, in UTC." }),
    localTime: Type.String({ examples: ["2027-03-28T03:00:00+02:00"], description: "The same instant on the wall clock of the trigger's time zone, with its offset." }),
  })),
}));

export const TimeTriggerId = Type.Object({ id: Type.String({ description: "The time trigger's id (a UUID; any other is answered 404 time-trigger-not-found)." }) });
/** `count` is checked by the route (1 to PREVIEW_MAX_COUNT, 400 invalid-filter naming the range) */
const Count = (max: number, byDefault: number) => Type.String({ description: `How many runs: an integer from 1 to ${max} (${byDefault} by default).` });
export const PreviewQuery = (max: number, byDefault: number) => Type.Object({ count: Type.Optional(Count(max, byDefault)) });
export const CronPreviewQuery = (max: number, byDefault: number) => Type.Object({
  cron: Type.Optional(Type.String({ description: "The cron, as a trigger's `cron` (required: without it, 400 invalid-time-trigger)." })),
  timeZone: Type.Optional(Type.String({ description: "An IANA time zone (UTC by default)." })),
  count: Type.Optional(Count(max, byDefault)),
});
