/**
 * SQL written once for both engines: a tagged template whose `${values}` become bound
 * parameters, compiled per dialect (`?` for SQLite, `$1…` for PostgreSQL). The text stays in
 * plain sight at each call site; only the placeholders differ.
 *
 *   sql`SELECT * FROM folders WHERE tenant_id = ${tenantId} AND key = ${key}`
 *
 * Fragments compose (`sql.join`, `sql.list`, `sql.raw`) for the queries that are built from
 * a filter. A text is compiled once per shape and dialect: for a query with no fragment, its
 * call site (the template's strings array is the same object on every call); for a composed
 * one, the call sites of its fragments, its raw texts and its lists' lengths. Engines cache a
 * prepared statement per text, so a filter's combinations and a list's lengths each get one.
 */
import type { Dialect } from "./Dialect.js";

/** A compiled query: the text for one dialect, its parameters, and whether the text is fixed (cacheable as a prepared statement). */
export interface CompiledQuery {
  readonly text: string;
  readonly values: unknown[];
  /** the text depends on the query's shape only, not its values: an engine may prepare it once and reuse it */
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

  compile(dialect: Dialect): CompiledQuery {
    // the usual query: no fragment, list or raw text: its text is its call site's
    if (!this.values.some(isComposite)) {
      let byDialect = plainTexts.get(this.strings);
      if (!byDialect) plainTexts.set(this.strings, (byDialect = new Map()));
      let text = byDialect.get(dialect.name);
      if (text === undefined) {
        text = this.appendTo(dialect, []);
        byDialect.set(dialect.name, text);
      }
      return { text, values: this.values as unknown[], fixed: true };
    }
    // a composed one: its text depends only on its shape (call sites, raw texts, list lengths)
    const values: unknown[] = [];
    const key = `${dialect.name}:${shape(this, values)}`;
    let text = shapedTexts.get(key);
    if (text === undefined) {
      text = this.appendTo(dialect, []);
      if (shapedTexts.size < MAX_SHAPES) shapedTexts.set(key, text);
    }
    return { text, values, fixed: true };
  }

  /** @internal the text, pushing the parameters into `values` (render uses it for fragments) */
  appendTo(dialect: Dialect, values: unknown[]): string {
    let text = this.strings[0]!;
    for (let i = 0; i < this.values.length; i++) {
      text += render(this.values[i], dialect, values) + this.strings[i + 1]!;
    }
    return text;
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

function isComposite(v: unknown): boolean {
  return v instanceof Sql || v instanceof List || isRaw(v);
}

/** a number per call site (template strings array) */
const callSites = new WeakMap<readonly string[], number>();
let lastCallSite = 0;

/**
 * What a composed query's text depends on, as a key, while its values are collected in order:
 * the call site of each fragment, each raw text (between NULs, which no SQL text holds), each
 * list's length.
 */
function shape(query: Sql, values: unknown[]): string {
  let site = callSites.get(query.strings);
  if (site === undefined) callSites.set(query.strings, (site = ++lastCallSite));
  let key = String(site);
  for (const v of query.values) {
    if (v instanceof Sql) key += `(${shape(v, values)})`;
    else if (v instanceof List) {
      key += `[${v.values.length}]`;
      values.push(...v.values);
    } else if (isRaw(v)) key += `\u0000${v[RAW]}\u0000`;
    else {
      key += "?";
      values.push(v);
    }
  }
  return key;
}

const plainTexts = new WeakMap<readonly string[], Map<string, string>>();
/** composed queries' texts by dialect and shape; bounded (lists of many lengths make many shapes): past it, compiled each time */
const shapedTexts = new Map<string, string>();
const MAX_SHAPES = 5000;

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
