/** The tenant settings (routes/settings.ts; Tenancy.ts LIMITS). */
import { Type, type TSchema } from "typebox";
import { DEFAULT_SETTINGS, REDIRECT_STATUS_CODES, type TenantSettings as SettingsRecord } from "../../core/types.js";
import { named } from "./named.js";

/** Each setting: its shape in an answer, and the sentence the document gives it (ranges included). */
const settings: Record<keyof SettingsRecord, { schema: TSchema; description: string }> = {
  syncRedirectsRequireAuth: {
    schema: Type.Boolean({ default: DEFAULT_SETTINGS.syncRedirectsRequireAuth }),
    description: "When false, the wait URIs LongPolling hands out are signed (`exp`, `sig`) and need no token.",
  },
  longPollTimeoutSeconds: {
    schema: Type.Integer({ minimum: 1, maximum: 90, default: DEFAULT_SETTINGS.longPollTimeoutSeconds }),
    description: "How long one LongPolling request or wait request blocks before redirecting to the wait URI (303, or `redirectStatusCode`). " +
      "`longPollTimeoutSeconds` × 20 must be at least `syncMaxJobDurationSeconds` (fetch follows at most 20 redirects); a change that breaks this is 400 invalid-settings.",
  },
  syncMaxJobDurationSeconds: {
    schema: Type.Integer({ minimum: 1, maximum: 86_400, default: DEFAULT_SETTINGS.syncMaxJobDurationSeconds }),
    description: "LongPolling jobs running longer are killed and end Faulted with code MaxDurationExceeded. At most `longPollTimeoutSeconds` × 20, so 1800 with the longest long-poll (90 s).",
  },
  corsAllowedOrigins: {
    schema: Type.Array(Type.String({ description: "An origin (scheme, host, optional port; no path or trailing slash), or \"*\".", examples: ["https://app.example.com", "*"] }),
      { uniqueItems: true, default: DEFAULT_SETTINGS.corsAllowedOrigins }),
    description: "Origins allowed to call the tenant's endpoints from a browser.",
  },
  maxRequestBodyBytes: {
    schema: Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024, default: DEFAULT_SETTINGS.maxRequestBodyBytes }),
    description: "Larger invocation bodies, and robot protocol bodies larger than the greater of this and 65536, are answered 413 payload-too-large.",
  },
  jobRetentionDays: {
    schema: Type.Integer({ minimum: 1, maximum: 3650, default: DEFAULT_SETTINGS.jobRetentionDays }),
    description: "Final jobs older than this are purged.",
  },
  idempotencyKeyRetentionHours: {
    schema: Type.Integer({ minimum: 1, maximum: 720, default: DEFAULT_SETTINGS.idempotencyKeyRetentionHours }),
    description: "How long an Idempotency-Key is remembered after the call that first sent it; a later call with the key then creates a new job.",
  },
  rateLimitPerTokenPerMinute: {
    schema: Type.Integer({ minimum: 0, maximum: 1_000_000, default: DEFAULT_SETTINGS.rateLimitPerTokenPerMinute }),
    description: "Requests a minute one token may make in the tenant (invocations, status, management), counted on each node; past it, 429 rate-limited with Retry-After. 0: unlimited.",
  },
  rateLimitPerTriggerPerMinute: {
    schema: Type.Integer({ minimum: 0, maximum: 1_000_000, default: DEFAULT_SETTINGS.rateLimitPerTriggerPerMinute }),
    description: "Invocations a minute of one API trigger, whoever calls it, counted on each node; past it, 429 rate-limited with Retry-After. 0: unlimited.",
  },
  redirectStatusCode: {
    schema: Type.Unsafe<SettingsRecord["redirectStatusCode"]>({ type: "integer", enum: [...REDIRECT_STATUS_CODES], default: DEFAULT_SETTINGS.redirectStatusCode }),
    description: "The status of the call modes' redirects: the status URI to the output URI, a LongPolling invocation to the wait URI, the wait URI to itself. " +
      "303 See Other, or 302 Found for clients written to compare with 302 (fetch and browsers repeat a PUT or DELETE after a 302: keep 303 for such LongPolling triggers).",
  },
};

const described = (s: TSchema, description: string): TSchema => ({ ...s, description }) as TSchema;
const answerProperties = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, described(v.schema, v.description)]));

export const TenantSettings = named("TenantSettings", Type.Unsafe<SettingsRecord>(Type.Object(answerProperties)));

/** Any settings to change. Checked by the core (Tenancy.validateSettingsPatch: every fault, with its range; coreChecked.ts). */
export const TenantSettingsPatch = named("TenantSettingsPatch", Type.Unsafe<Partial<SettingsRecord>>(Type.Object(
  Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, Type.Optional(described(v.schema, v.description))])),
  { additionalProperties: false, description: "Any settings to change; the others keep their value. An unknown setting is 400 invalid-settings." },
)));
