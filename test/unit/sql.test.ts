import { describe, expect, it } from "vitest";
import { sql } from "../../src/store/sql/sql.js";
import { postgresDialect } from "../../src/store/postgres/postgresDialect.js";
import { sqliteDialect } from "../../src/store/sqlite/sqliteDialect.js";

/** The `sql` tag: written once, compiled per dialect, fixed texts cached per call site. */
describe("sql", () => {
  const byId = (id: string, name: string) => sql`SELECT * FROM folders WHERE tenant_id = ${id} AND name = ${name}`;

  it("binds every value as a parameter, written as each dialect writes one", () => {
    expect(byId("t", "n").compile(sqliteDialect)).toEqual({ text: "SELECT * FROM folders WHERE tenant_id = ? AND name = ?", values: ["t", "n"], fixed: true });
    expect(byId("t", "n").compile(postgresDialect)).toEqual({ text: "SELECT * FROM folders WHERE tenant_id = $1 AND name = $2", values: ["t", "n"], fixed: true });
  });

  it("a value is never text of the query, whatever it holds", () => {
    const evil = "x'; DROP TABLE jobs; --";
    const q = byId(evil, "n").compile(postgresDialect);
    expect(q.text).not.toContain("DROP");
    expect(q.values).toEqual([evil, "n"]);
  });

  it("compiles a call site's text once per dialect", () => {
    const a = byId("a", "1").compile(postgresDialect);
    const b = byId("b", "2").compile(postgresDialect);
    expect(b.text).toBe(a.text);
    expect(b.values).toEqual(["b", "2"]);
  });

  it("lists become one parameter per value; an empty list matches nothing", () => {
    expect(sql`state IN ${sql.list(["Pending", "Running"])} AND x = ${1}`.compile(postgresDialect))
      .toEqual({ text: "state IN ($1, $2) AND x = $3", values: ["Pending", "Running", 1], fixed: true });
    expect(sql`state IN ${sql.list([])}`.compile(sqliteDialect)).toEqual({ text: "state IN (NULL)", values: [], fixed: true });
  });

  it("joins fragments, numbering their parameters in order", () => {
    const where = sql.join([sql`a = ${1}`, sql`b = ${2}`, sql`c IN ${sql.list([3, 4])}`], sql` AND `);
    expect(sql`SELECT 1 WHERE ${where} LIMIT ${5}`.compile(postgresDialect))
      .toEqual({ text: "SELECT 1 WHERE a = $1 AND b = $2 AND c IN ($3, $4) LIMIT $5", values: [1, 2, 3, 4, 5], fixed: true });
    expect(sql.join([], sql` AND `).compile(sqliteDialect).text).toBe("");
  });

  it("raw text is part of the text and keeps it fixed (cacheable), one text per distinct raw text", () => {
    const q = (order: string) => sql`SELECT * FROM t WHERE a = ${1} ORDER BY ${sql.raw(order)} LIMIT ${2}`;
    expect(q("name").compile(postgresDialect)).toEqual({ text: "SELECT * FROM t WHERE a = $1 ORDER BY name LIMIT $2", values: [1, 2], fixed: true });
    expect(q(postgresDialect.byteOrder("name")).compile(postgresDialect))
      .toEqual({ text: `SELECT * FROM t WHERE a = $1 ORDER BY name COLLATE "C" LIMIT $2`, values: [1, 2], fixed: true });
    expect(q("name").compile(sqliteDialect)).toEqual({ text: "SELECT * FROM t WHERE a = ? ORDER BY name LIMIT ?", values: [1, 2], fixed: true });
  });

  it("a composed query's text is one per shape: the same fragments and list lengths give the same text, others another", () => {
    const q = (states: string[], folder: string | null) =>
      sql`SELECT * FROM jobs WHERE state IN ${sql.list(states)} ${folder ? sql`AND folder_key = ${folder}` : sql.empty} LIMIT ${10}`.compile(postgresDialect);
    const a = q(["Pending"], "f1");
    const b = q(["Running"], "f2");
    expect(b.text).toBe(a.text);
    expect(a).toEqual({ text: "SELECT * FROM jobs WHERE state IN ($1) AND folder_key = $2 LIMIT $3", values: ["Pending", "f1", 10], fixed: true });
    expect(b.values).toEqual(["Running", "f2", 10]);
    expect(q(["Pending", "Running"], "f1").text).toBe("SELECT * FROM jobs WHERE state IN ($1, $2) AND folder_key = $3 LIMIT $4");
    expect(q(["Pending"], null)).toEqual({ text: "SELECT * FROM jobs WHERE state IN ($1)  LIMIT $2", values: ["Pending", 10], fixed: true });
  });
});
