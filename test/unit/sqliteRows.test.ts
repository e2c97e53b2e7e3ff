import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { sql } from "../../src/store/sql/sql.js";
import { loopRowBuilder, SqliteExecutor } from "../../src/store/sqlite/SqliteExecutor.js";

/**
 * SqliteExecutor reads rows as arrays and makes them objects with a literal compiled per
 * statement (issue 18: the driver's own row objects cost twice as much). The objects must be
 * the driver's, value for value and name for name, whatever the statement.
 */
describe("SQLite rows read through the executor's reader", () => {
  const open: Database.Database[] = [];
  afterEach(() => { for (const db of open.splice(0)) db.close(); });

  function executor() {
    const db = new Database(":memory:");
    open.push(db);
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, doc TEXT, n REAL, b BLOB, "odd ""name""" TEXT, "constructor" TEXT)`);
    db.prepare(`INSERT INTO t VALUES (1, 'a', '{"x":1}', 1.5, x'00ff', 'q', 'c1'), (2, NULL, NULL, NULL, NULL, NULL, NULL)`).run();
    return { db, ex: new SqliteExecutor(db) };
  }

  it("answers the objects the driver makes: every column, name and value (NULL, REAL, BLOB, quoted names)", async () => {
    const { db, ex } = executor();
    const text = "SELECT * FROM t ORDER BY id";
    const driver = db.prepare(text).all();
    const rows = await ex.all(sql`SELECT * FROM t ORDER BY id`);
    expect(rows).toEqual(driver);
    expect(Object.keys(rows[0]!)).toEqual(Object.keys(driver[0] as object));
    expect(rows[0]!.constructor).toBe("c1");
    expect(rows[0]!.b).toEqual(Buffer.from([0, 255]));
    expect(await ex.one(sql`SELECT * FROM t WHERE id = ${2}`)).toEqual(db.prepare("SELECT * FROM t WHERE id = 2").get());
  });

  it("makes a column named __proto__ an own property, never the row's prototype", async () => {
    const { ex } = executor();
    // (the driver's own objects set the prototype from it: a NULL made a row without one)
    for (const value of ["p", null]) {
      const row = await ex.one(sql`SELECT 1 AS id, ${value} AS "__proto__"`);
      expect(Object.getOwnPropertyDescriptor(row, "__proto__")?.value).toBe(value);
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    }
  });

  it("keeps the later of two columns of one name, as the driver does", async () => {
    const { db, ex } = executor();
    const driver = db.prepare("SELECT id, name, 'later' AS name FROM t WHERE id = 1").get();
    expect(await ex.one(sql`SELECT id, name, 'later' AS name FROM t WHERE id = ${1}`)).toEqual(driver);
    expect(driver).toEqual({ id: 1, name: "later" });
  });

  it("answers undefined for no row, an empty list for none, and the rows a RETURNING gives", async () => {
    const { ex } = executor();
    expect(await ex.one(sql`SELECT * FROM t WHERE id = ${99}`)).toBeUndefined();
    expect(await ex.all(sql`SELECT * FROM t WHERE id = ${99}`)).toEqual([]);
    expect(await ex.one(sql`UPDATE t SET name = ${"z"} WHERE id = ${1} RETURNING id, name`)).toEqual({ id: 1, name: "z" });
    expect(await ex.one(sql`SELECT name FROM t WHERE id = ${1}`)).toEqual({ name: "z" });
  });

  it("refuses to read rows of a statement that returns none, as the driver does", async () => {
    const { ex } = executor();
    await expect(ex.one(sql`UPDATE t SET name = ${"y"} WHERE id = ${1}`)).rejects.toThrow(/does not return data/);
    expect(await ex.run(sql`UPDATE t SET name = ${"y"} WHERE id = ${1}`)).toBe(1);
  });

  it("reads a statement's rows with the same names after a schema change re-prepares it", async () => {
    const { db, ex } = executor();
    expect(await ex.one(sql`SELECT * FROM t WHERE id = ${1}`)).toHaveProperty("name", "a");
    db.exec("ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'e'");
    // better-sqlite3 re-prepares a statement whose schema changed: SELECT * then has one more column
    const row = await ex.one(sql`SELECT * FROM t WHERE id = ${1}`);
    expect(row).toEqual(db.prepare("SELECT * FROM t WHERE id = 1").get());
  });

  it("reads the new names after a migration of its own that kept the column count (a rename)", async () => {
    const { db, ex } = executor();
    expect(await ex.one(sql`SELECT * FROM t WHERE id = ${1}`)).toHaveProperty("name", "a");
    await ex.exclusiveUnbatched((d) => d.exec("ALTER TABLE t RENAME COLUMN name TO title"));
    const row = await ex.one(sql`SELECT * FROM t WHERE id = ${1}`);
    expect(row).toEqual(db.prepare("SELECT * FROM t WHERE id = 1").get());
    expect(row).toHaveProperty("title", "a");
  });

  it("without generated code (a node that refuses it), builds the same objects", () => {
    const names = ["id", "name", "name", "__proto__", "constructor"];
    const row = loopRowBuilder(names)([1, "first", "later", null, "c"]);
    expect(Object.keys(row)).toEqual(["id", "name", "__proto__", "constructor"]);
    expect(row).toMatchObject({ id: 1, name: "later", constructor: "c" });
    expect(Object.getOwnPropertyDescriptor(row, "__proto__")?.value).toBeNull();
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });
});
