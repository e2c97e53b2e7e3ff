/**
 * Rows to records, once for both engines. The executors already give timestamps as ISO
 * text and bigints as numbers; what still differs is read here: booleans (SQLite 0/1,
 * PostgreSQL true/false) and JSON columns (SQLite text, PostgreSQL parsed).
 */
import type { RoleAssignment } from "../../core/Permissions.js";
import type { AuditEntry } from "../../core/Audit.js";
import type { ExternalApp, Folder, Job, JobAttempt, JobState, PersonalAccessToken, Priority, Process, RobotKey, RobotSession, Trigger, User } from "../../core/types.js";
import type { Row } from "./Executor.js";

export const PRIORITY_NUMBER: Record<Priority, number> = { Low: 0, Normal: 1, High: 2 };
export const PRIORITY_NAME: Priority[] = ["Low", "Normal", "High"];

export const str = (v: unknown): string => v as string;
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
export const bool = (v: unknown): boolean => v === true || v === 1 || v === 1n;
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** a JSON column: text (SQLite) or already parsed (PostgreSQL); null stays null */
export function parse<T>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  return (typeof v === "string" ? JSON.parse(v) : v) as T;
}
/** JSON text for a column, null stays null */
export const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** a user from its row (or from columns named with `prefix` in a join) */
export function userFromRow(r: Row, prefix = ""): User {
  return {
    id: str(r[`${prefix}id`]), org: str(r[`${prefix}org`]), tenantId: strOrNull(r[`${prefix}tenant_id`]), name: str(r[`${prefix}name`]),
    orgAdmin: bool(r[`${prefix}org_admin`]), roles: parse<RoleAssignment[]>(r[`${prefix}roles`]) ?? [],
    createdAt: str(r[`${prefix}created_at`]), disabledAt: strOrNull(r[`${prefix}disabled_at`]),
  };
}

export function tokenFromRow(r: Row): PersonalAccessToken {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), userId: strOrNull(r.user_id), name: str(r.name), scopes: parse<string[]>(r.scopes) ?? [],
    createdAt: str(r.created_at), expiresAt: strOrNull(r.expires_at), revokedAt: strOrNull(r.revoked_at), lastUsedAt: strOrNull(r.last_used_at),
  };
}

export function externalAppFromRow(r: Row): ExternalApp {
  return {
    id: str(r.id), org: str(r.org), tenantId: str(r.tenant_id), tenantName: str(r.tenant_name), name: str(r.name), clientId: str(r.client_id),
    scopes: parse<string[]>(r.scopes) ?? [], createdAt: str(r.created_at), secretRotatedAt: strOrNull(r.secret_rotated_at), revokedAt: strOrNull(r.revoked_at),
  };
}

export function folderFromRow(r: Row): Folder {
  return { key: str(r.key), tenantId: str(r.tenant_id), name: str(r.name), createdAt: str(r.created_at) };
}

export function processFromRow(r: Row): Process {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), name: str(r.name), description: str(r.description),
    defaultInputArguments: parse(r.default_input_arguments) ?? {}, inputSchema: parse(r.input_schema), outputSchema: parse(r.output_schema),
    priority: r.priority as Priority, maxDurationSeconds: numOrNull(r.max_duration_seconds),
    retry: {
      maxAttempts: Number(r.retry_max_attempts),
      backoff: {
        type: r.retry_backoff_type === "Fixed" ? "Fixed" : "Exponential", delaySeconds: Number(r.retry_backoff_seconds),
        maxDelaySeconds: Number(r.retry_max_delay_seconds), jitter: bool(r.retry_jitter),
      },
    },
    maxConcurrentJobs: numOrNull(r.max_concurrent_jobs), concurrencyKey: strOrNull(r.concurrency_key), maxConcurrentJobsPerKey: numOrNull(r.max_concurrent_jobs_per_key),
    createdAt: str(r.created_at), updatedAt: str(r.updated_at),
  };
}

export function triggerFromRow(r: Row): Trigger {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), name: str(r.name), slug: str(r.slug), verb: r.verb as Trigger["verb"],
    processName: str(r.process_name), callMode: r.call_mode as Trigger["callMode"], defaultArguments: parse(r.default_arguments) ?? {},
    priority: r.priority as Trigger["priority"], enabled: bool(r.enabled), createdAt: str(r.created_at), updatedAt: str(r.updated_at),
  };
}

export function jobFromRow(r: Row): Job {
  return {
    key: str(r.key), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), processName: str(r.process_name), triggerId: strOrNull(r.trigger_id),
    source: r.source as Job["source"], callMode: r.call_mode as Job["callMode"], state: r.state as JobState,
    priority: PRIORITY_NAME[Number(r.priority)] ?? "Normal", inputArguments: parse(r.input_arguments) ?? {},
    outputArguments: parse(r.output_arguments), error: parse(r.error), robot: strOrNull(r.robot), sessionId: strOrNull(r.session_id),
    attempt: Number(r.attempt), createdAt: str(r.created_at), startedAt: strOrNull(r.started_at), endedAt: strOrNull(r.ended_at),
    info: strOrNull(r.info), maxDurationSeconds: numOrNull(r.max_duration_seconds), deadlineAt: strOrNull(r.deadline_at),
    idempotencyKey: strOrNull(r.idempotency_key), concurrencyKey: strOrNull(r.concurrency_key),
    // not_before is the retry's wait only while the job waits for it (the claim clears it)
    retryAt: r.state === "Pending" ? strOrNull(r.not_before) : null,
    ...(r.time_trigger_id ? { timeTriggerId: str(r.time_trigger_id), slot: str(r.time_trigger_slot) } : {}),
  };
}

export function attemptFromRow(r: Row): JobAttempt {
  return {
    attempt: Number(r.attempt), robot: strOrNull(r.robot), sessionId: strOrNull(r.session_id), startedAt: strOrNull(r.started_at),
    endedAt: strOrNull(r.ended_at), outcome: r.outcome as JobAttempt["outcome"], error: parse(r.error),
  };
}

export function sessionFromRow(r: Row): RobotSession {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), robotKeyId: strOrNull(r.robot_key_id), robotName: str(r.robot_name), version: strOrNull(r.version),
    processes: parse<string[]>(r.processes) ?? [], slots: Number(r.slots), leaseExpiresAt: str(r.lease_expires_at), createdAt: str(r.created_at),
    folderKeys: parse<string[]>(r.folder_keys),
  };
}

export function robotKeyFromRow(r: Row): RobotKey {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), name: str(r.name), createdAt: str(r.created_at), rotatedAt: strOrNull(r.rotated_at),
    folderKeys: parse<string[]>(r.folder_keys), revokedAt: strOrNull(r.revoked_at),
  };
}

export function auditFromRow(r: Row): AuditEntry {
  return {
    seq: Number(r.seq), org: str(r.org), tenantId: strOrNull(r.tenant_id), at: str(r.at),
    actor: { kind: str(r.actor_kind), id: strOrNull(r.actor_id), name: strOrNull(r.actor_name) },
    action: str(r.action), target: strOrNull(r.target), details: parse(r.details) ?? {}, sourceIp: strOrNull(r.source_ip), requestId: strOrNull(r.request_id),
  };
}
