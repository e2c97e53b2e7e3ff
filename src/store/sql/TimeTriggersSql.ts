import { TimeTriggerExists, UniqueViolation } from "../../core/errors.js";
import type { TimeTriggerStore } from "../../core/store.js";
import type { TimeTrigger } from "../../core/types.js";
import type { Row } from "./Executor.js";
import { SqlAggregate } from "./SqlAggregate.js";
import { bool, parse, str, strOrNull } from "./rows.js";
import { sql } from "./sql.js";

function timeTriggerFromRow(r: Row): TimeTrigger {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), name: str(r.name), processName: str(r.process_name), cron: str(r.cron),
    timeZone: str(r.time_zone), arguments: parse(r.arguments) ?? {}, priority: r.priority as TimeTrigger["priority"], enabled: bool(r.enabled),
    missedRunPolicy: r.missed_run_policy as TimeTrigger["missedRunPolicy"], nextRunAt: strOrNull(r.next_run_at), createdAt: str(r.created_at), updatedAt: str(r.updated_at),
  };
}

/**
 * Time triggers and their fire records, written once for both engines. A name taken by a
 * concurrent write is the resource's 409 here, as the core's check answers a later caller.
 */
export class TimeTriggersSql extends SqlAggregate implements TimeTriggerStore {
  async createTimeTrigger(t: TimeTrigger): Promise<void> {
    await this.db.run(sql`
      INSERT INTO time_triggers (id, tenant_id, folder_key, name, process_name, cron, time_zone, arguments, priority, enabled, missed_run_policy,
        next_run_at, created_at, updated_at)
      VALUES (${t.id}, ${t.tenantId}, ${t.folderKey}, ${t.name}, ${t.processName}, ${t.cron}, ${t.timeZone}, ${t.arguments}, ${t.priority}, ${t.enabled},
        ${t.missedRunPolicy}, ${t.nextRunAt}, ${t.createdAt}, ${t.updatedAt})`)
      .catch((err: unknown) => { throw err instanceof UniqueViolation ? TimeTriggerExists(t.name) : err; });
  }

  async getTimeTrigger(tenantId: string, id: string): Promise<TimeTrigger | null> {
    const row = await this.db.one(sql`SELECT * FROM time_triggers WHERE tenant_id = ${tenantId} AND id = ${id}`);
    return row ? timeTriggerFromRow(row) : null;
  }

  async listTimeTriggers(tenantId: string, folderKey: string | null): Promise<TimeTrigger[]> {
    const name = sql.raw(this.db.dialect.byteOrder("name"));
    const rows = folderKey
      ? await this.db.all(sql`SELECT * FROM time_triggers WHERE tenant_id = ${tenantId} AND folder_key = ${folderKey} ORDER BY ${name}, id`)
      : await this.db.all(sql`SELECT * FROM time_triggers WHERE tenant_id = ${tenantId} ORDER BY ${name}, id`);
    return rows.map(timeTriggerFromRow);
  }

  async updateTimeTrigger(t: TimeTrigger): Promise<void> {
    await this.db.run(sql`
      UPDATE time_triggers SET name = ${t.name}, process_name = ${t.processName}, cron = ${t.cron}, time_zone = ${t.timeZone}, arguments = ${t.arguments},
        priority = ${t.priority}, enabled = ${t.enabled}, missed_run_policy = ${t.missedRunPolicy}, next_run_at = ${t.nextRunAt}, updated_at = ${t.updatedAt}
       WHERE tenant_id = ${t.tenantId} AND id = ${t.id}`)
      .catch((err: unknown) => { throw err instanceof UniqueViolation ? TimeTriggerExists(t.name) : err; });
  }

  async deleteTimeTrigger(tenantId: string, id: string): Promise<boolean> {
    return this.atomically(async (db) => {
      const deleted = await db.run(sql`DELETE FROM time_triggers WHERE tenant_id = ${tenantId} AND id = ${id}`);
      if (deleted > 0) await db.run(sql`DELETE FROM time_trigger_fires WHERE trigger_id = ${id}`);
      return deleted > 0;
    });
  }

  async advanceTimeTrigger(tenantId: string, id: string, from: string, to: string | null, updatedAt: string): Promise<boolean> {
    return (await this.db.run(sql`
      UPDATE time_triggers SET next_run_at = ${to}, updated_at = ${updatedAt}
       WHERE tenant_id = ${tenantId} AND id = ${id} AND enabled = ${true} AND next_run_at = ${from}`)) > 0;
  }

  async recordTimeTriggerFire(triggerId: string, slot: string, jobKey: string | null, firedAt: string): Promise<boolean> {
    // DO NOTHING rather than a caught unique violation: on PostgreSQL a failed statement would abort the transaction
    return (await this.db.run(sql`
      INSERT INTO time_trigger_fires (trigger_id, slot, job_key, fired_at) VALUES (${triggerId}, ${slot}, ${jobKey}, ${firedAt})
      ON CONFLICT (trigger_id, slot) DO NOTHING`)) > 0;
  }

  async purgeTimeTriggerFires(triggerId: string, before: string): Promise<number> {
    return this.db.run(sql`DELETE FROM time_trigger_fires WHERE trigger_id = ${triggerId} AND slot < ${before}`);
  }

  async tagTimeTriggerJob(tenantId: string, jobKey: string, triggerId: string, slot: string): Promise<void> {
    await this.db.run(sql`UPDATE jobs SET time_trigger_id = ${triggerId}, time_trigger_slot = ${slot} WHERE tenant_id = ${tenantId} AND key = ${jobKey}`);
    await this.db.run(sql`UPDATE time_trigger_fires SET job_key = ${jobKey} WHERE trigger_id = ${triggerId} AND slot = ${slot}`);
  }

  async cancelWork(id: string): Promise<void> {
    await this.db.run(sql`DELETE FROM due_work WHERE id = ${id}`);
  }
}
