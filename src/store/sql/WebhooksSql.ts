import type { DeliveryToMake, WebhookPatch, WebhookRecord, WebhookStore } from "../../core/store.js";
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryState } from "../../core/webhooks/types.js";
import type { Row } from "./Executor.js";
import { SqlAggregate } from "./SqlAggregate.js";
import { bool, json, numOrNull, parse, str, strOrNull } from "./rows.js";
import type { Dialect } from "./Dialect.js";
import { sql, type Sql } from "./sql.js";

function webhookFromRow(r: Row): WebhookRecord {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), url: str(r.url), events: parse<string[]>(r.events) ?? [], folderKeys: parse<string[]>(r.folder_keys),
    enabled: bool(r.enabled), description: strOrNull(r.description), createdAt: str(r.created_at), updatedAt: str(r.updated_at),
    secret: str(r.secret), previousSecret: strOrNull(r.previous_secret), previousSecretUntil: strOrNull(r.previous_secret_until),
  };
}

function deliveryFromRow(r: Row): WebhookDelivery {
  return {
    id: str(r.id), seq: numOrNull(r.seq) ?? 0, tenantId: str(r.tenant_id), webhookId: str(r.webhook_id), type: str(r.event_type), jobKey: strOrNull(r.job_key),
    payload: str(r.payload), state: str(r.state) as WebhookDeliveryState, createdAt: str(r.created_at), nextAttemptAt: strOrNull(r.next_attempt_at), retryUntil: str(r.retry_until),
    deliveredAt: strOrNull(r.delivered_at), attempts: parse<WebhookAttempt[]>(r.attempts) ?? [],
  };
}

/** An attempt appended to the JSON array where a delivery keeps them (no read first), and the state it leaves the delivery in. */
export function recordAttemptSql(dialect: Dialect, id: string, attempt: WebhookAttempt, state: WebhookDeliveryState, nextAttemptAt: string | null): Sql {
  const [before, after] = dialect.jsonAppend("attempts");
  return sql`
    UPDATE webhook_deliveries SET attempts = ${sql.raw(before)}${json(attempt)}${sql.raw(after)}, state = ${state}, next_attempt_at = ${nextAttemptAt},
      delivered_at = CASE WHEN ${state === "Delivered"} THEN ${attempt.at} ELSE delivered_at END
    WHERE id = ${id}`;
}

/** A delivery's due row after an attempt, if its owner still leases it: deleted once the delivery is Delivered or Failed, put back due at its next attempt while Pending. */
export function endDeliveryWorkSql(state: WebhookDeliveryState, nextAttemptAt: string | null, work: { id: string; owner: string }): Sql {
  return state === "Pending" && nextAttemptAt !== null
    ? sql`UPDATE due_work SET due_at = ${nextAttemptAt}, leased_by = NULL, lease_until = NULL, attempts = attempts + 1 WHERE id = ${work.id} AND leased_by = ${work.owner}`
    : sql`DELETE FROM due_work WHERE id = ${work.id} AND leased_by = ${work.owner}`;
}

/** Webhook subscriptions and deliveries (SPEC §8). */
export class WebhooksSql extends SqlAggregate implements WebhookStore {
  async createWebhook(w: WebhookRecord): Promise<void> {
    await this.db.run(sql`
      INSERT INTO webhooks (id, tenant_id, url, events, folder_keys, enabled, description, secret, previous_secret, previous_secret_until, created_at, updated_at)
      VALUES (${w.id}, ${w.tenantId}, ${w.url}, ${json(w.events)}, ${json(w.folderKeys)}, ${w.enabled}, ${w.description}, ${w.secret}, ${w.previousSecret},
              ${w.previousSecretUntil}, ${w.createdAt}, ${w.updatedAt})`);
  }

  async listWebhooks(tenantId: string): Promise<WebhookRecord[]> {
    return (await this.db.all(sql`SELECT * FROM webhooks WHERE tenant_id = ${tenantId} ORDER BY created_at, id`)).map(webhookFromRow);
  }

  async getWebhook(tenantId: string, id: string): Promise<WebhookRecord | null> {
    const row = await this.db.one(sql`SELECT * FROM webhooks WHERE tenant_id = ${tenantId} AND id = ${id}`);
    return row ? webhookFromRow(row) : null;
  }

  async updateWebhook(tenantId: string, id: string, patch: WebhookPatch): Promise<WebhookRecord | null> {
    return this.atomically(async (db) => {
      const row = await db.one(sql`SELECT * FROM webhooks WHERE tenant_id = ${tenantId} AND id = ${id}`);
      if (!row) return null;
      const w = { ...webhookFromRow(row), ...patch };
      await db.run(sql`
        UPDATE webhooks SET url = ${w.url}, events = ${json(w.events)}, folder_keys = ${json(w.folderKeys)}, enabled = ${w.enabled}, description = ${w.description},
          secret = ${w.secret}, previous_secret = ${w.previousSecret}, previous_secret_until = ${w.previousSecretUntil}, updated_at = ${w.updatedAt}
        WHERE tenant_id = ${tenantId} AND id = ${id}`);
      return w;
    });
  }

  async deleteWebhook(tenantId: string, id: string): Promise<boolean> {
    return (await this.db.run(sql`DELETE FROM webhooks WHERE tenant_id = ${tenantId} AND id = ${id}`)) > 0;
  }

  async createDelivery(d: Omit<WebhookDelivery, "attempts" | "deliveredAt">): Promise<void> {
    await this.db.run(sql`
      INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_type, job_key, payload, state, created_at, next_attempt_at, retry_until, delivered_at, attempts)
      VALUES (${d.id}, ${d.tenantId}, ${d.webhookId}, ${d.type}, ${d.jobKey}, ${d.payload}, ${d.state}, ${d.createdAt}, ${d.nextAttemptAt}, ${d.retryUntil}, NULL, ${"[]"})`);
  }

  async getDelivery(tenantId: string, id: string): Promise<WebhookDelivery | null> {
    const row = await this.db.one(sql`SELECT * FROM webhook_deliveries WHERE tenant_id = ${tenantId} AND id = ${id}`);
    return row ? deliveryFromRow(row) : null;
  }

  async deliveriesToMake(ids: readonly string[]): Promise<DeliveryToMake[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.all(sql`
      SELECT d.*, w.url AS webhook_url, w.secret AS webhook_secret, w.previous_secret AS webhook_previous_secret, w.previous_secret_until AS webhook_previous_secret_until
        FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
       WHERE d.id IN ${sql.list(ids)}`);
    return rows.map((r) => ({
      delivery: deliveryFromRow(r),
      webhook: {
        id: str(r.webhook_id), url: str(r.webhook_url), secret: str(r.webhook_secret),
        previousSecret: strOrNull(r.webhook_previous_secret), previousSecretUntil: strOrNull(r.webhook_previous_secret_until),
      },
    }));
  }

  async listDeliveries(tenantId: string, webhookId: string, limit: number, before: number | null): Promise<{ items: WebhookDelivery[]; next: number | null }> {
    const rows = await this.db.all(sql`
      SELECT * FROM webhook_deliveries WHERE tenant_id = ${tenantId} AND webhook_id = ${webhookId} AND (CAST(${before} AS bigint) IS NULL OR seq < ${before})
      ORDER BY seq DESC LIMIT ${limit + 1}`);
    const page = rows.slice(0, limit).map(deliveryFromRow);
    return { items: page, next: rows.length > limit ? page[page.length - 1]!.seq! : null };
  }

  async recordDeliveryAttempt(id: string, attempt: WebhookAttempt, state: WebhookDeliveryState, nextAttemptAt: string | null): Promise<void> {
    await this.db.run(recordAttemptSql(this.db.dialect, id, attempt, state, nextAttemptAt));
  }

  endDeliveryAttempt(id: string, attempt: WebhookAttempt, state: WebhookDeliveryState, nextAttemptAt: string | null, work: { id: string; owner: string }): Promise<boolean> {
    return this.atomically(async (db) => {
      await db.run(recordAttemptSql(db.dialect, id, attempt, state, nextAttemptAt));
      return (await db.run(endDeliveryWorkSql(state, nextAttemptAt, work))) > 0;
    });
  }

  async resetDelivery(tenantId: string, id: string, at: string, retryUntil: string): Promise<boolean> {
    return (await this.db.run(sql`
      UPDATE webhook_deliveries SET state = 'Pending', next_attempt_at = ${at}, retry_until = ${retryUntil} WHERE tenant_id = ${tenantId} AND id = ${id}`)) > 0;
  }

  async purgeDeliveries(before: string): Promise<number> {
    return this.db.run(sql`DELETE FROM webhook_deliveries WHERE state <> 'Pending' AND created_at < ${before}`);
  }
}
