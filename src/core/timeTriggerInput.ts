import { isJsonObject, unstorable } from "./arguments.js";
import { failWithViolations, nameProblem, triggerArgumentsProblem, triggerPriorityProblem } from "./catalogInput.js";
import { cronProblem, timeZoneProblem } from "./cronSchedule.js";
import { badRequest, type Violation } from "./errors.js";
import { MISSED_RUN_POLICIES, type JsonObject, type MissedRunPolicy, type TimeTrigger, type TriggerPriority } from "./types.js";

/** fields a fetched time trigger carries that a body may send back: ignored */
const READ_ONLY = ["id", "tenantId", "folderKey", "nextRunAt", "description", "createdAt", "updatedAt"];

/** the fields a new time trigger must have */
export const REQUIRED_TIME_TRIGGER_FIELDS = ["name", "processName", "cron"];

/**
 * What a body may say about a time trigger: each field checked, every fault listed at once
 * (400 invalid-time-trigger with `violations`), the trigger it describes built. The service
 * adds the rules of the store (the folder, the process, a free name).
 */
export function applyTimeTriggerFields(t: TimeTrigger, body: unknown, found: Violation[] = []): TimeTrigger {
  if (!isJsonObject(body)) throw badRequest("invalid-body", "The request body must be a JSON object.");
  const deep = unstorable(body);
  if (deep) fail([deep]);
  const problems: Violation[] = [...found];
  const out = { ...t };
  for (const [key, value] of Object.entries(body)) {
    const bad = (message: string) => problems.push({ path: `/${key}`, message });
    switch (key) {
      case "name": {
        const problem = nameProblem(value) ?? ((value as string).trim() !== value ? "must not start or end with spaces" : null);
        if (problem === null) out.name = value as string; else bad(problem);
        break;
      }
      case "processName":
        if (nameProblem(value) === null) out.processName = value as string; else bad("must be the name of a process in the trigger's folder");
        break;
      case "cron": {
        const problem = cronProblem(value);
        if (problem === null) out.cron = (value as string).trim(); else bad(problem);
        break;
      }
      case "timeZone": {
        const problem = timeZoneProblem(value);
        if (problem === null) out.timeZone = value as string; else bad(problem);
        break;
      }
      case "arguments": {
        const problem = triggerArgumentsProblem(value);
        if (problem === null) out.arguments = value as JsonObject; else bad(problem);
        break;
      }
      case "priority": {
        const problem = triggerPriorityProblem(value);
        if (problem === null) out.priority = value as TriggerPriority; else bad(problem);
        break;
      }
      case "enabled":
        if (typeof value === "boolean") out.enabled = value; else bad("must be a boolean");
        break;
      case "missedRunPolicy":
        if ((MISSED_RUN_POLICIES as readonly unknown[]).includes(value)) out.missedRunPolicy = value as MissedRunPolicy; else bad(`must be one of ${MISSED_RUN_POLICIES.join(", ")}`);
        break;
      default:
        if (!READ_ONLY.includes(key)) bad("is not a field of a time trigger");
    }
  }
  if (problems.length) fail(problems);
  return out;
}

function fail(problems: Violation[]): never {
  return failWithViolations("invalid-time-trigger", problems);
}
