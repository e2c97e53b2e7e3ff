import type Database from "better-sqlite3";
import { loadMigrations, type Migration } from "../migrationFiles.js";

/**
 * Applies the migrations not yet applied (src/store/sqlite/migrations/*.sql), each in a
 * transaction of its own. `migrations` is all of them but for a test that builds a database
 * of an earlier release.
 */
export function migrateSqlite(db: Database.Database, migrations: readonly Migration[] = loadMigrations("sqlite")): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const applied = new Set((db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version));
  // a migration may rebuild a table that others reference (SQLite's documented way to
  // change a constraint): foreign keys are off while it runs and checked before it commits
  db.pragma("foreign_keys = OFF");
  try {
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      db.transaction(() => {
        db.exec(m.sql);
        const broken = db.pragma("foreign_key_check") as unknown[];
        if (broken.length) throw new Error(`migration ${m.version} (${m.name}) left ${broken.length} broken foreign keys`);
        db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, new Date().toISOString());
      }).immediate();
    }
  } finally {
    db.pragma("foreign_keys = ON");
  }
}
