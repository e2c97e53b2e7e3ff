/**
 * SQL written once for both engines: a tagged template whose `${values}` become bound
 * parameters, compiled per dialect (`?` for SQLite, `$1…` for PostgreSQL). The text stays in
 * plain sight at each call site; only the placeholders differ.
 *
 *   sql`SELECT * FROM folders WHERE tenant_id = ${tenantId} AND key = ${key}`
 *
 * Fragments compose (`sql.join`, `sql.list`, `sql.raw`) for the few queries that are built
 * from a filter. A query with no fragment is compiled once per call site and dialect (the
 * template's strings array is the same object on every call), so the hot paths pay for the
 * text once and engines can cache a prepared statement per text.
 */
import type { Dialect } from "./Dialect.js";

/** A compiled query: the text for one dialect, its parameters, and whether the text is fixed (cacheable as a prepared statement). */
export interface CompiledQuery {
  readonly text: string;
  readonly values: unknown[];
  /** the text does not depend on the values: an engine may prepare it once and reuse it */
  readonly fixed: boolean;
}

const RAW = Symbol("raw");

/** Trusted SQL text inserted as is (identifiers, constants): never a caller's value. */
export interface Raw { readonly [RAW]: string }

/** A list of values, compiled to `(?, ?, …)`; an empty list compiles to `(NULL)`, which matches nothing in `IN`. */
export class List {
  constructor(readonly values: readonly unknown[]) {}
}

export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /**
   * Whether the text depends on the values: a fragment or a list does; raw text does not
   * (it is the code's own constant: a column name, a dialect's clause), so a query with raw
   * text is still fixed. Returns the raw texts, in order, as part of the cache key.
   */
  private rawKey(): string | null {
    let key = "";
    for (const v of this.values) {
      if (v instanceof Sql || v instanceof List) return null;
      if (isRaw(v)) key += `\u0000${v[RAW]}`;
    }
    return key;
  }

  compile(dialect: Dialect): CompiledQuery {
    const rawKey = this.rawKey();
    if (rawKey !== null) {
      let byDialect = fixedTexts.get(this.strings);
      if (!byDialect) fixedTexts.set(this.strings, (byDialect = new Map()));
      const cacheKey = dialect.name + rawKey;
      let cached = byDialect.get(cacheKey);
      if (cached === undefined) {
        const values: unknown[] = [];
        cached = { text: this.append(dialect, values), positions: this.values.map((v) => !isRaw(v)) };
        byDialect.set(cacheKey, cached);
      }
      const values = rawKey === "" ? (this.values as unknown[]) : this.values.filter((_, i) => cached!.positions[i]);
      return { text: cached.text, values, fixed: true };
    }
    const values: unknown[] = [];
    const text = this.append(dialect, values);
    return { text, values, fixed: false };
  }

  private append(dialect: Dialect, values: unknown[]): string {
    let text = this.strings[0]!;
    for (let i = 0; i < this.values.length; i++) {
      text += render(this.values[i], dialect, values) + this.strings[i + 1]!;
    }
    return text;
  }

  /** @internal used by render */
  appendTo(dialect: Dialect, values: unknown[]): string {
    return this.append(dialect, values);
  }
}

function render(v: unknown, dialect: Dialect, values: unknown[]): string {
  if (v instanceof Sql) return v.appendTo(dialect, values);
  if (isRaw(v)) return v[RAW];
  if (v instanceof List) {
    if (v.values.length === 0) return "(NULL)";
    return `(${v.values.map((item) => { values.push(item); return dialect.placeholder(values.length); }).join(", ")})`;
  }
  values.push(v);
  return dialect.placeholder(values.length);
}

function isRaw(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && RAW in v;
}

/** per call site (the template's strings array) and dialect and raw texts: the compiled text, and which values are parameters */
const fixedTexts = new WeakMap<readonly string[], Map<string, { text: string; positions: boolean[] }>>();

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

/** `(a, b, c)` for `IN`: one parameter per value */
sql.list = (values: readonly unknown[]): List => new List(values);
/** trusted text (a column name chosen by the code, a constant), never a caller's value */
sql.raw = (text: string): Raw => ({ [RAW]: text });
/** fragments joined by a separator (`sql\` AND \``, `sql\`, \``) */
sql.join = (parts: readonly Sql[], separator: Sql): Sql => {
  if (parts.length === 0) return new Sql([""], []);
  const strings: string[] = [""];
  const values: unknown[] = [];
  parts.forEach((part, i) => {
    if (i > 0) { values.push(separator); strings.push(""); }
    values.push(part);
    strings.push("");
  });
  return new Sql(strings, values);
};
/** an empty fragment */
sql.empty = new Sql([""], []);
