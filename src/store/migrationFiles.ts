import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One migration: a file `NNNNNN-name.sql` of an engine's `migrations` directory. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export type Engine = "sqlite" | "postgres";

/** six digits, a dash, a lower-case name: sorting the names sorts the versions */
const FILE_NAME = /^(\d{6})-([a-z0-9-]+)\.sql$/;

/**
 * Reads the migrations of a directory, in version order. The files are the migrations: a
 * misnamed one, a gap or a duplicate number is an error here rather than a migration
 * silently skipped (or run out of order) on some database.
 */
export function readMigrations(dir: URL): Migration[] {
  const path = fileURLToPath(dir);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    throw new Error(`migrations: ${path} is missing (a build copies src/store/*/migrations into dist: npm run build)`);
  }
  const migrations: Migration[] = [];
  // dot files are an editor's or a file manager's, never a migration
  for (const file of files.filter((f) => !f.startsWith(".")).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`migrations: ${path}${file} is not named NNNNNN-name.sql (six digits, then lower-case letters, digits and dashes)`);
    migrations.push({ version: Number(match[1]), name: match[2]!, sql: readFileSync(new URL(file, dir), "utf8") });
  }
  if (!migrations.length) throw new Error(`migrations: ${path} has no migration (a build copies src/store/*/migrations into dist: npm run build)`);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      const other = migrations[i - 1];
      const why = other?.version === m.version ? `is numbered like ${String(other.version).padStart(6, "0")}-${other.name}.sql` : `should be number ${i + 1}`;
      throw new Error(`migrations: ${path}${String(m.version).padStart(6, "0")}-${m.name}.sql ${why}: the numbers run from 1 without gaps`);
    }
  });
  return migrations;
}

const loaded = new Map<Engine, readonly Migration[]>();

/**
 * An engine's migrations, from the `migrations` directory next to its module (src/store/<engine>
 * when run from source, dist/store/<engine> once built), read once per process.
 */
export function loadMigrations(engine: Engine): readonly Migration[] {
  let migrations = loaded.get(engine);
  if (!migrations) {
    migrations = Object.freeze(readMigrations(new URL(`./${engine}/migrations/`, import.meta.url)).map((m) => Object.freeze(m)));
    loaded.set(engine, migrations);
  }
  return migrations;
}
