import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadMigrations, readMigrations } from "../../src/store/migrationFiles.js";

/** The migration loader: the files are the migrations, so a bad set stops the start. */
describe("migration files", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** a directory holding these files (name → text), as a file URL ending in a slash */
  function dir(files: Record<string, string>): URL {
    const d = mkdtempSync(join(tmpdir(), "baton-migrations-"));
    dirs.push(d);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return pathToFileURL(`${d}/`);
  }

  it("reads them in number order, the name being the part after the number", () => {
    const migrations = readMigrations(dir({ "000002-second-one.sql": "B", "000001-initial.sql": "A", ".DS_Store": "" }));
    expect(migrations).toEqual([{ version: 1, name: "initial", sql: "A" }, { version: 2, name: "second-one", sql: "B" }]);
  });

  it("refuses a gap, a duplicate number, a start other than 1 and a misnamed file", () => {
    expect(() => readMigrations(dir({ "000001-a.sql": "", "000003-c.sql": "" }))).toThrow(/000003-c\.sql should be number 2/);
    expect(() => readMigrations(dir({ "000001-a.sql": "", "000001-b.sql": "" }))).toThrow(/000001-b\.sql is numbered like 000001-a\.sql/);
    expect(() => readMigrations(dir({ "000002-b.sql": "" }))).toThrow(/should be number 1/);
    for (const bad of ["1-a.sql", "000002-Robot_Keys.sql", "000002-a.SQL", "000002-a.sql.orig", "000002.sql"]) {
      expect(() => readMigrations(dir({ "000001-a.sql": "", [bad]: "" })), bad).toThrow(/is not named NNNNNN-name\.sql/);
    }
  });

  it("refuses a missing or empty directory, naming the build", () => {
    expect(() => readMigrations(dir({}))).toThrow(/has no migration.*npm run build/);
    expect(() => readMigrations(new URL("./nowhere/", pathToFileURL(`${tmpdir()}/`)))).toThrow(/is missing.*npm run build/);
  });

  it("each engine's shipped set loads, from 1 without gaps", () => {
    for (const engine of ["sqlite", "postgres"] as const) {
      const migrations = loadMigrations(engine);
      expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
      expect(migrations[0]?.name).toBe("initial");
      expect(migrations.map((m) => m.name)).toContain("due-work");
    }
  });
});
