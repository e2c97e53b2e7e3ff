import { FolderExists, ProcessExists, SlugTaken, UniqueViolation } from "../../core/errors.js";
import type { CatalogStore } from "../../core/store.js";
import type { Folder, Process, Trigger } from "../../core/types.js";
import { SqlAggregate } from "./SqlAggregate.js";
import { bool, folderFromRow, processFromRow, triggerFromRow } from "./rows.js";
import { sql } from "./sql.js";

/**
 * What can be run, and how it is called: folders, processes, API triggers. A name taken by
 * a concurrent write (the core checks first; two callers may both pass its check) is the
 * resource's 409 here, as a later caller gets from the check.
 */
export class CatalogSql extends SqlAggregate implements CatalogStore {
  // ---- folders

  async createFolder(f: Folder): Promise<void> {
    await this.db.run(sql`INSERT INTO folders (key, tenant_id, name, created_at) VALUES (${f.key}, ${f.tenantId}, ${f.name}, ${f.createdAt})`)
      .catch((err: unknown) => { throw err instanceof UniqueViolation ? FolderExists(f.name) : err; });
  }

  async getFolder(tenantId: string, key: string): Promise<Folder | null> {
    const row = await this.db.one(sql`SELECT * FROM folders WHERE tenant_id = ${tenantId} AND key = ${key}`);
    return row ? folderFromRow(row) : null;
  }

  async findFolderByName(tenantId: string, name: string): Promise<Folder | null> {
    const row = await this.db.one(sql`SELECT * FROM folders WHERE tenant_id = ${tenantId} AND name = ${name}`);
    return row ? folderFromRow(row) : null;
  }

  async listFolders(tenantId: string): Promise<Folder[]> {
    const name = sql.raw(this.db.dialect.byteOrder("name"));
    return (await this.db.all(sql`SELECT * FROM folders WHERE tenant_id = ${tenantId} ORDER BY ${name}`)).map(folderFromRow);
  }

  async renameFolder(tenantId: string, key: string, name: string): Promise<boolean> {
    return (await this.db.run(sql`UPDATE folders SET name = ${name} WHERE tenant_id = ${tenantId} AND key = ${key}`)
      .catch((err: unknown) => { throw err instanceof UniqueViolation ? FolderExists(name) : err; })) > 0;
  }

  async deleteFolder(tenantId: string, key: string): Promise<"deleted" | "missing" | "not-empty"> {
    return this.atomically(async (db) => {
      // locked: a process, trigger or job being added to the folder meanwhile waits, then is seen (or fails on the folder's absence)
      const lock = sql.raw(db.dialect.supportsForUpdate ? "FOR UPDATE" : "");
      if (!(await db.one(sql`SELECT key FROM folders WHERE tenant_id = ${tenantId} AND key = ${key} ${lock}`))) return "missing";
      const used = await db.one(sql`
        SELECT EXISTS (SELECT 1 FROM processes WHERE folder_key = ${key}) OR EXISTS (SELECT 1 FROM triggers WHERE folder_key = ${key})
            OR EXISTS (SELECT 1 FROM time_triggers WHERE folder_key = ${key}) OR EXISTS (SELECT 1 FROM jobs WHERE folder_key = ${key}) AS used`);
      if (bool(used!.used)) return "not-empty";
      await db.run(sql`DELETE FROM folders WHERE tenant_id = ${tenantId} AND key = ${key}`);
      return "deleted";
    });
  }

  // ---- processes

  async createProcess(p: Process): Promise<void> {
    await this.db.run(sql`
      INSERT INTO processes (id, tenant_id, folder_key, name, description, default_input_arguments, input_schema, output_schema,
        priority, max_duration_seconds, retry_max_attempts, retry_backoff_seconds,
        retry_backoff_type, retry_max_delay_seconds, retry_jitter, created_at, updated_at,
        max_concurrent_jobs, concurrency_key, max_concurrent_jobs_per_key)
      VALUES (${p.id}, ${p.tenantId}, ${p.folderKey}, ${p.name}, ${p.description}, ${p.defaultInputArguments}, ${p.inputSchema}, ${p.outputSchema},
        ${p.priority}, ${p.maxDurationSeconds}, ${p.retry.maxAttempts}, ${p.retry.backoff.delaySeconds},
        ${p.retry.backoff.type}, ${p.retry.backoff.maxDelaySeconds}, ${p.retry.backoff.jitter}, ${p.createdAt}, ${p.updatedAt},
        ${p.maxConcurrentJobs ?? null}, ${p.concurrencyKey ?? null}, ${p.maxConcurrentJobsPerKey ?? null})`)
      .catch((err: unknown) => { throw err instanceof UniqueViolation ? ProcessExists(p.name) : err; });
  }

  async getProcess(tenantId: string, folderKey: string, name: string): Promise<Process | null> {
    const row = await this.db.one(sql`SELECT * FROM processes WHERE tenant_id = ${tenantId} AND folder_key = ${folderKey} AND name = ${name}`);
    return row ? processFromRow(row) : null;
  }

  async listProcesses(tenantId: string, folderKey: string): Promise<Process[]> {
    const name = sql.raw(this.db.dialect.byteOrder("name"));
    return (await this.db.all(sql`SELECT * FROM processes WHERE tenant_id = ${tenantId} AND folder_key = ${folderKey} ORDER BY ${name}`)).map(processFromRow);
  }

  async updateProcess(p: Process): Promise<void> {
    await this.db.run(sql`
      UPDATE processes SET description = ${p.description}, default_input_arguments = ${p.defaultInputArguments}, input_schema = ${p.inputSchema},
        output_schema = ${p.outputSchema}, priority = ${p.priority}, max_duration_seconds = ${p.maxDurationSeconds},
        retry_max_attempts = ${p.retry.maxAttempts}, retry_backoff_seconds = ${p.retry.backoff.delaySeconds},
        retry_backoff_type = ${p.retry.backoff.type}, retry_max_delay_seconds = ${p.retry.backoff.maxDelaySeconds},
        retry_jitter = ${p.retry.backoff.jitter}, updated_at = ${p.updatedAt},
        max_concurrent_jobs = ${p.maxConcurrentJobs ?? null}, concurrency_key = ${p.concurrencyKey ?? null}, max_concurrent_jobs_per_key = ${p.maxConcurrentJobsPerKey ?? null}
       WHERE tenant_id = ${p.tenantId} AND id = ${p.id}`);
  }

  async deleteProcess(tenantId: string, folderKey: string, name: string): Promise<"deleted" | "missing" | "in-use"> {
    return this.atomically(async (db) => {
      const lock = sql.raw(db.dialect.supportsForUpdate ? "FOR UPDATE" : "");
      const found = await db.one(sql`SELECT id FROM processes WHERE tenant_id = ${tenantId} AND folder_key = ${folderKey} AND name = ${name} ${lock}`);
      if (!found) return "missing";
      // a trigger names its process (no foreign key): one that still starts it holds it
      const used = await db.one(sql`SELECT id FROM triggers WHERE tenant_id = ${tenantId} AND folder_key = ${folderKey} AND process_name = ${name}
        UNION ALL SELECT id FROM time_triggers WHERE tenant_id = ${tenantId} AND folder_key = ${folderKey} AND process_name = ${name} LIMIT 1`);
      if (used) return "in-use";
      await db.run(sql`DELETE FROM processes WHERE tenant_id = ${tenantId} AND folder_key = ${folderKey} AND name = ${name}`);
      return "deleted";
    });
  }

  // ---- triggers

  async createTrigger(t: Trigger): Promise<void> {
    await this.db.run(sql`
      INSERT INTO triggers (id, tenant_id, folder_key, name, slug, verb, process_name, call_mode, default_arguments, priority, enabled, created_at, updated_at)
      VALUES (${t.id}, ${t.tenantId}, ${t.folderKey}, ${t.name}, ${t.slug}, ${t.verb}, ${t.processName}, ${t.callMode}, ${t.defaultArguments},
        ${t.priority}, ${t.enabled}, ${t.createdAt}, ${t.updatedAt})`)
      .catch((err: unknown) => { throw err instanceof UniqueViolation ? SlugTaken(t.slug) : err; });
  }

  async getTrigger(tenantId: string, id: string): Promise<Trigger | null> {
    const row = await this.db.one(sql`SELECT * FROM triggers WHERE tenant_id = ${tenantId} AND id = ${id}`);
    return row ? triggerFromRow(row) : null;
  }

  async findTriggerBySlug(tenantId: string, slug: string): Promise<Trigger | null> {
    const row = await this.db.one(sql`SELECT * FROM triggers WHERE tenant_id = ${tenantId} AND slug = ${slug}`);
    return row ? triggerFromRow(row) : null;
  }

  async listTriggers(tenantId: string, folderKey: string | null): Promise<Trigger[]> {
    const slug = sql.raw(this.db.dialect.byteOrder("slug"));
    const rows = folderKey
      ? await this.db.all(sql`SELECT * FROM triggers WHERE tenant_id = ${tenantId} AND folder_key = ${folderKey} ORDER BY ${slug}`)
      : await this.db.all(sql`SELECT * FROM triggers WHERE tenant_id = ${tenantId} ORDER BY ${slug}`);
    return rows.map(triggerFromRow);
  }

  async updateTrigger(t: Trigger): Promise<void> {
    await this.db.run(sql`
      UPDATE triggers SET name = ${t.name}, slug = ${t.slug}, verb = ${t.verb}, process_name = ${t.processName}, call_mode = ${t.callMode},
        default_arguments = ${t.defaultArguments}, priority = ${t.priority}, enabled = ${t.enabled}, updated_at = ${t.updatedAt}
       WHERE tenant_id = ${t.tenantId} AND id = ${t.id}`)
      .catch((err: unknown) => { throw err instanceof UniqueViolation ? SlugTaken(t.slug) : err; });
  }

  async deleteTrigger(tenantId: string, id: string): Promise<boolean> {
    return (await this.db.run(sql`DELETE FROM triggers WHERE tenant_id = ${tenantId} AND id = ${id}`)) > 0;
  }
}
