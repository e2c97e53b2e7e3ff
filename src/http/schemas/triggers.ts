/** API triggers (routes/triggers.ts). Their bodies are checked by the core (catalogInput.ts, every fault listed; coreChecked.ts). */
import { Type, type TSchema } from "typebox";
import { CALL_MODES, PRIORITIES, VERBS } from "../../core/types.js";
import { DateTime, Page, StringEnum, Uuid } from "./common.js";
import { named } from "./named.js";
import { NAME_CHARS } from "./processes.js";

const readOnly = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, readOnly: true, description });

const settable = {
  name: Type.String({ minLength: 1, maxLength: 128, pattern: `^${NAME_CHARS}{1,128}$`, description: "1-128 characters, without '/', '\\' or control characters." }),
  slug: Type.String({ pattern: "^[A-Za-z0-9_.-]{1,128}$", description: "Unique in the tenant: 1-128 letters, digits, '-', '_' or '.'; no '/'.", examples: ["invoice-approval"] }),
  verb: StringEnum(VERBS),
  processName: Type.String({ minLength: 1, description: "The name of a process in the trigger's folder." }),
  callMode: StringEnum(CALL_MODES, { description: "The default call mode; a caller may override it with `$callMode`." }),
  defaultArguments: Type.Record(Type.String(), Type.Unknown(), {
    propertyNames: { not: { pattern: "^\\$" } },
    description: "Argument defaults: they override the process's defaults and are overridden by the request. No key starts with `$`.",
  }),
  priority: StringEnum(["Inherit", ...PRIORITIES] as const, { description: "Inherit (the default): the process's priority." }),
  enabled: Type.Boolean({ description: "A disabled trigger answers 409 trigger-disabled." }),
};
const readOnlyFields = {
  id: readOnly(Uuid(), "Assigned by the orchestrator; the `triggerId` of the jobs it creates."),
  folderKey: readOnly(Uuid(), "The folder of the trigger and of its process."),
  createdAt: readOnly(DateTime(), "When the trigger was created."),
  updatedAt: readOnly(DateTime(), "When the trigger was last changed."),
  invokeUrl: readOnly(Type.String({ format: "uri" }), "The absolute invoke URL: `{base}/{org}/{tenant}/orchestrator_/t/{folderKey}/{slug}`."),
};
const optional = (properties: Record<string, TSchema>): Record<string, TSchema> => Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)]));

export const Trigger = named("Trigger", Type.Object({
  id: readOnlyFields.id, folderKey: readOnlyFields.folderKey, ...settable,
  createdAt: readOnlyFields.createdAt, updatedAt: readOnlyFields.updatedAt, invokeUrl: readOnlyFields.invokeUrl,
}));
export const TriggerPage = named("TriggerPage", Page(Trigger, false));

const { name, slug, verb, processName, ...rest } = settable;
export const TriggerInput = named("TriggerInput", Type.Object({
  name, slug, verb, processName,
  ...optional({ ...rest, callMode: { ...rest.callMode, default: "AsyncRequestReply" }, defaultArguments: { ...rest.defaultArguments, default: {} }, priority: { ...rest.priority, default: "Inherit" }, enabled: { ...rest.enabled, default: true } }),
  ...optional(readOnlyFields),
}, { additionalProperties: false, description: "Read-only fields are ignored, so a fetched trigger can be sent back; any other unknown field is 400 invalid-trigger." }));
export const TriggerPatch = named("TriggerPatch", Type.Object({ ...optional(settable), ...optional(readOnlyFields) }, {
  additionalProperties: false,
  description: "The fields to change (a new processName must name a process of the trigger's folder). Read-only fields are ignored.",
}));

export const TriggerId = Type.Object({ id: Type.String({ description: "The API trigger's id (a UUID; any other is answered 404 trigger-not-found)." }) });
export const TriggerListQuery = Type.Object({ folderKey: Type.Optional(Type.String({ description: "Only the triggers of this folder (its key, a UUID)." })) });
