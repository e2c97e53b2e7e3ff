import { INSTANT_MESSAGE, parseInstant } from "./bounds.js";
import { decodeCursor, encodeCursor, invalidFilter, queryLimit } from "./listQuery.js";
import type { Store } from "./store.js";
import type { AuditActor, AuditEntry, AuditListOptions, NewAuditEntry } from "./store/AuditStore.js";

export type { AuditActor, AuditEntry, AuditListOptions, NewAuditEntry };
import type { JsonObject, Page, Principal } from "./types.js";

/**
 * The audit log: one entry per change made through the management API or the
 * organization's routes (who, what, when, from where). Invocations are not audit entries:
 * they are jobs. Secrets never enter it: routes record field names, ids, slugs and names,
 * never values of tokens, keys, client secrets, passwords or arguments, and `record`
 * scrubs anything that looks like one anyway.
 */

/** What a route records after a change succeeded. */
export interface AuditEvent {
  action: string;
  target?: string | null;
  details?: JsonObject;
}

/** Where the change came from: filled by the HTTP layer. */
export interface AuditOrigin {
  org: string;
  tenantId: string | null;
  actor: AuditActor;
  sourceIp: string | null;
  requestId: string | null;
}

/** The query string of GET /audit, as sent. */
export interface AuditQuery {
  limit?: string;
  cursor?: string;
  action?: string;
  since?: string;
}

/** `trigger.create`, or a prefix such as `trigger.*` */
const ACTION_FILTER = /^[a-z][A-Za-z-]*(\.[A-Za-z-]+)*(\.\*)?$/;
const SECRET_KEY = /^(token|secret|clientSecret|client_secret|password|passwordHash|key|apiKey|authorization|hash)$/i;
/** PATs, robot keys, JWTs: never stored, whatever a caller of `record` passes */
const SECRET_VALUE = /baton_(pat|rk|cs)_|^eyJ[\w-]+\.[\w-]+\./;

/** A personal access token by its id and name; an external application (kind oauth) by its client id. */
export function actorOf(principal: Principal): AuditActor {
  return { kind: principal.kind, id: principal.clientId ?? principal.tokenId ?? principal.userId, name: principal.name ?? null };
}

export class AuditLog {
  constructor(private readonly store: Store, private readonly now: () => Date) {}

  async record(origin: AuditOrigin, event: AuditEvent): Promise<void> {
    await this.store.appendAudit({
      ...origin,
      at: this.now().toISOString(),
      action: event.action,
      target: event.target ?? null,
      details: scrub(event.details ?? {}) as JsonObject,
    });
  }

  /** Newest first; `action` is exact or a prefix (`trigger.*`); `since` an ISO 8601 date-time. */
  async list(tenantId: string, query: AuditQuery): Promise<Page<AuditEntry>> {
    const limit = queryLimit(query.limit, 50);
    const action = query.action === undefined || query.action === "" ? undefined : query.action;
    if (action !== undefined && (action.length > 100 || !ACTION_FILTER.test(action))) {
      invalidFilter("/action", "must be an action such as trigger.create, or a prefix such as trigger.*");
    }
    let since: string | undefined;
    if (query.since !== undefined) {
      const at = parseInstant(query.since);
      if (at === null) invalidFilter("/since", INSTANT_MESSAGE);
      since = at;
    }
    const { items, next } = await this.store.listAudit(tenantId, { limit, cursor: decodeCursor(query.cursor), action, since });
    return { items, nextCursor: next === null ? null : encodeCursor(next) };
  }
}

/** Drops secret-named members and redacts secret-looking strings, at any depth. */
function scrub(value: unknown): unknown {
  if (typeof value === "string") return SECRET_VALUE.test(value) ? "[redacted]" : value;
  if (Array.isArray(value)) return value.map(scrub);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !SECRET_KEY.test(k)).map(([k, v]) => [k, scrub(v)]));
  }
  return value;
}
