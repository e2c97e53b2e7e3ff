import { RE2JS } from "re2js";
import { MAX_ARGUMENT_DEPTH } from "./arguments.js";
import type { JsonObject } from "./types.js";

/**
 * What a process's `inputSchema` / `outputSchema` may cost, checked when the process is saved
 * (and again when a schema stored before these limits is first used). Validation runs on the
 * event loop with untrusted input, so a schema is refused unless the work of validating one
 * value against it is bounded in advance. Defaults, not tenant settings: they protect the node.
 */
export const SCHEMA_LIMITS = {
  /** the schema's JSON text, in UTF-8 bytes */
  maxBytes: 64 * 1024,
  /** nesting of subschemas inside subschemas (the schema itself is level 1) */
  maxDepth: 32,
  /** subschemas in the whole schema, `$defs` included */
  maxSubschemas: 1_000,
  /** `$ref` keywords in the whole schema */
  maxRefs: 256,
  /**
   * Keyword checks one value can cost: every subschema that may apply to the same value,
   * `allOf`/`anyOf`/`oneOf`/`not`/`if`/`then`/`else`/`dependentSchemas` branches and `$ref`s
   * followed and multiplied through their nesting, each weighted by its number of keywords
   * (plus the length of `required`, `dependentRequired` and `enum`). This is the bound on
   * combinator fan-out and nesting: 24 nested two-branch `anyOf`s over `$ref`s cost 2^24.
   * It is checked for values at every depth an argument may nest (recursive `$ref`s included).
   */
  maxChecksPerValue: 5_000,
  /** one `pattern` or `patternProperties` key, compiled for RE2 (instructions of its program) */
  maxPatternProgramSize: 2_000,
} as const;

/** A schema refused: `limit` names the bound it breaks (absent: the schema is invalid), `pointer` where (JSON Pointer inside the schema). */
export interface SchemaProblem {
  pointer: string;
  message: string;
  limit?: keyof typeof SCHEMA_LIMITS;
}

/** What the analysis of an accepted schema tells validation: the most checks a value at depth `d` (1 = the arguments object) can cost. */
export interface SchemaCost {
  checksAtDepth: number[];
}

/** Compiles an RE2 pattern from JSON Schema's (ECMA-262) syntax; throws for what RE2 cannot do (backreferences, lookaround). */
export function compilePattern(pattern: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(pattern));
}

interface Node {
  raw: unknown;
  ptr: string;
  base: string;
  weight: number;
  inPlace: number[];
  /** `properties`: [name, node] */
  props: [string, number][];
  objectChildren: number[];
  keyChildren: number[];
  prefixItems: number[];
  arrayChildren: number[];
  refs: { ref: string; ptr: string }[];
}

const IN_PLACE_ONE = ["not", "if", "then", "else"];
const IN_PLACE_MANY = ["allOf", "anyOf", "oneOf"];
const OBJECT_CHILD_ONE = ["additionalProperties", "unevaluatedProperties"];
const ARRAY_CHILD_ONE = ["contains", "unevaluatedItems", "additionalItems"];
const DEFS = ["$defs", "definitions"];
/** the base URI of a schema without `$id`; only used to resolve relative references */
const ROOT_BASE = "https://schema.baton.invalid/root";

const escape = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const isSchema = (v: unknown) => isObject(v) || typeof v === "boolean";

/**
 * Refuses a schema that breaks a limit or cannot be compiled safely, else answers its cost.
 * Iterative throughout: safe for any nesting the body parser let through.
 */
export function analyzeSchema(schema: JsonObject): SchemaProblem | SchemaCost {
  const L = SCHEMA_LIMITS;
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > L.maxBytes) return { pointer: "", limit: "maxBytes", message: `is ${bytes} bytes of JSON; a schema may have at most ${L.maxBytes}` };

  const nodes: Node[] = [];
  const byObject = new Map<unknown, number>();
  const resources = new Map<string, number>();
  const anchors = new Map<string, number>();
  let refCount = 0;
  // [raw, pointer, depth, parent's base, a slot to receive the node's index]
  const stack: { raw: unknown; ptr: string; depth: number; base: string; into: (i: number) => void }[] = [
    { raw: schema, ptr: "", depth: 1, base: ROOT_BASE, into: () => undefined },
  ];
  while (stack.length) {
    const { raw, ptr, depth, base: parentBase, into } = stack.pop()!;
    if (depth > L.maxDepth) return { pointer: ptr, limit: "maxDepth", message: `nests subschemas deeper than ${L.maxDepth} levels` };
    if (nodes.length >= L.maxSubschemas) return { pointer: ptr, limit: "maxSubschemas", message: `is beyond the ${L.maxSubschemas} subschemas a schema may have` };
    const index = nodes.length;
    const node: Node = { raw, ptr, base: parentBase, weight: 1, inPlace: [], props: [], objectChildren: [], keyChildren: [], prefixItems: [], arrayChildren: [], refs: [] };
    nodes.push(node);
    into(index);
    if (!isObject(raw)) continue;
    byObject.set(raw, index);
    if (typeof raw.$id === "string") {
      try {
        node.base = new URL(raw.$id, parentBase).href.replace(/#.*$/, "");
      } catch {
        return { pointer: `${ptr}/$id`, message: "is not a URI reference" };
      }
      resources.set(node.base, index);
    }
    if (ptr === "") resources.set(node.base, index);
    if (typeof raw.$anchor === "string") anchors.set(`${node.base}#${raw.$anchor}`, index);
    if (typeof raw.$dynamicAnchor === "string") anchors.set(`${node.base}#${raw.$dynamicAnchor}`, index);

    const child = (value: unknown, at: string, list: number[]) => {
      if (isSchema(value)) stack.push({ raw: value, ptr: at, depth: depth + 1, base: node.base, into: (i) => list.push(i) });
    };
    node.weight = 1 + Object.keys(raw).length;
    for (const [key, value] of Object.entries(raw)) {
      const at = `${ptr}/${escape(key)}`;
      if (IN_PLACE_ONE.includes(key)) child(value, at, node.inPlace);
      else if (IN_PLACE_MANY.includes(key) && Array.isArray(value)) value.forEach((v, i) => child(v, `${at}/${i}`, node.inPlace));
      else if (key === "dependentSchemas" && isObject(value)) for (const [k, v] of Object.entries(value)) child(v, `${at}/${escape(k)}`, node.inPlace);
      else if (key === "properties" && isObject(value)) {
        for (const [k, v] of Object.entries(value)) {
          if (isSchema(v)) stack.push({ raw: v, ptr: `${at}/${escape(k)}`, depth: depth + 1, base: node.base, into: (i) => node.props.push([k, i]) });
        }
      }
      else if (key === "patternProperties" && isObject(value)) {
        for (const [k, v] of Object.entries(value)) {
          const bad = patternProblem(k, `${at}/${escape(k)}`);
          if (bad) return bad;
          child(v, `${at}/${escape(k)}`, node.objectChildren);
        }
      } else if (OBJECT_CHILD_ONE.includes(key)) child(value, at, node.objectChildren);
      else if (key === "propertyNames") child(value, at, node.keyChildren);
      else if (key === "prefixItems" && Array.isArray(value)) value.forEach((v, i) => child(v, `${at}/${i}`, node.prefixItems));
      else if (key === "items") {
        if (Array.isArray(value)) value.forEach((v, i) => child(v, `${at}/${i}`, node.prefixItems));
        else child(value, at, node.arrayChildren);
      } else if (ARRAY_CHILD_ONE.includes(key)) child(value, at, node.arrayChildren);
      else if (DEFS.includes(key) && isObject(value)) for (const [k, v] of Object.entries(value)) child(v, `${at}/${escape(k)}`, []);
      else if (key === "$ref") {
        if (typeof value !== "string") return { pointer: at, message: "must be a string" };
        if (++refCount > L.maxRefs) return { pointer: at, limit: "maxRefs", message: `is beyond the ${L.maxRefs} $refs a schema may have` };
        node.refs.push({ ref: value, ptr: at });
      } else if (key === "$dynamicRef" || key === "$recursiveRef") {
        return { pointer: at, message: `is not supported in a process's schema; use $ref` };
      } else if (key === "pattern" && typeof value === "string") {
        const bad = patternProblem(value, at);
        if (bad) return bad;
      } else if (key === "required" && Array.isArray(value)) node.weight += value.length;
      else if (key === "enum" && Array.isArray(value)) node.weight += value.length;
      else if (key === "dependentRequired" && isObject(value)) {
        for (const v of Object.values(value)) if (Array.isArray(v)) node.weight += v.length;
      }
    }
  }

  // $refs become in-place edges to the subschema they name
  for (const node of nodes) {
    for (const { ref, ptr } of node.refs) {
      const target = resolve(ref, node.base, resources, anchors, byObject, nodes);
      if (target === null) return { pointer: ptr, message: `'${ref}' does not name a subschema of this schema (only references inside the schema are supported)` };
      node.inPlace.push(target);
    }
  }

  // the in-place graph must be acyclic (a cycle never moves on to a child value: Ajv would recurse forever)
  const order: number[] = [];
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the path, 2 done
  for (let start = 0; start < nodes.length; start++) {
    if (state[start]) continue;
    const path: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (path.length) {
      const top = path[path.length - 1]!;
      const [n, next] = top;
      const edges = nodes[n]!.inPlace;
      if (next < edges.length) {
        top[1]++;
        const c = edges[next]!;
        if (state[c] === 1) return { pointer: nodes[c]!.ptr, message: "is reached again through $ref without descending into a property or item: validation would never end" };
        if (state[c] === 0) {
          state[c] = 1;
          path.push([c, 0]);
        }
      } else {
        state[n] = 2;
        order.push(n);
        path.pop();
      }
    }
  }

  // checks on one value from what applies to it in place: F0[n] = weight(n) + F0 of its in-place branches (each path counted)
  const max = L.maxChecksPerValue;
  const f0 = new Float64Array(nodes.length);
  for (const n of order) f0[n] = Math.min(nodes[n]!.weight + nodes[n]!.inPlace.reduce((s, c) => s + f0[c]!, 0), Number.MAX_SAFE_INTEGER);
  const over = order.find((n) => f0[n]! > max); // children come first in `order`: the innermost culprit
  if (over !== undefined) {
    return { pointer: nodes[over]!.ptr, limit: "maxChecksPerValue", message: `could cost ${f0[over]} keyword checks on one value (its anyOf/oneOf/allOf branches and $refs multiplied through their nesting); at most ${max} are allowed` };
  }

  // The nodes that apply to a value first (the root, and what properties and items lead to), each
  // with the nodes that then apply to the same value in place, counted per path. F0 <= max bounds
  // how many paths there are, so listing them is cheap.
  const entries = new Set<number>([0]);
  for (const node of nodes) {
    for (const [, t] of node.props) entries.add(t);
    for (const t of [...node.objectChildren, ...node.keyChildren, ...node.prefixItems, ...node.arrayChildren]) entries.add(t);
  }
  const closures = new Map<number, Map<number, number>>();
  for (const e of entries) {
    const closure = new Map<number, number>();
    const todo = [e];
    while (todo.length) {
      const n = todo.pop()!;
      closure.set(n, (closure.get(n) ?? 0) + 1);
      todo.push(...nodes[n]!.inPlace);
    }
    closures.set(e, closure);
  }

  // Level by level: F[e] bounds the checks on one value r levels below a value e applies to. The
  // value is reached through one key (or index): at each level, the most any one property name (or
  // prefixItems index) can cost, plus everything that applies to any key (or item).
  const checksAtDepth: number[] = [f0[0]!];
  let prev = f0;
  for (let r = 1; r < MAX_ARGUMENT_DEPTH; r++) {
    const f = new Float64Array(nodes.length);
    let same = true;
    for (const [e, closure] of closures) {
      const byKey = new Map<string, number>();
      const byIndex: number[] = [];
      let anyKey = 0;
      let anyItem = 0;
      for (const [c, m] of closure) {
        const node = nodes[c]!;
        for (const [k, t] of node.props) byKey.set(k, (byKey.get(k) ?? 0) + m * prev[t]!);
        node.prefixItems.forEach((t, i) => { byIndex[i] = (byIndex[i] ?? 0) + m * prev[t]!; });
        for (const t of node.objectChildren) anyKey += m * prev[t]!;
        for (const t of node.keyChildren) anyKey += m * f0[t]!;
        for (const t of node.arrayChildren) anyItem += m * prev[t]!;
      }
      const objectChild = Math.max(0, ...byKey.values()) + anyKey;
      const arrayChild = byIndex.reduce((a, b) => Math.max(a, b ?? 0), 0) + anyItem;
      f[e] = Math.min(Math.max(objectChild, arrayChild), Number.MAX_SAFE_INTEGER);
      if (f[e] !== prev[e]) same = false;
    }
    checksAtDepth.push(f[0]!);
    if (f[0]! > max) {
      return { pointer: "", limit: "maxChecksPerValue", message: `could cost ${f[0]} keyword checks on one value nested ${r + 1} levels deep; at most ${max} are allowed (recursive $refs multiply)` };
    }
    if (f[0] === 0) break; // nothing applies this deep, nor deeper
    if (same && r > 1) {
      // a fixed point: every deeper level costs the same
      while (checksAtDepth.length < MAX_ARGUMENT_DEPTH) checksAtDepth.push(f[0]!);
      break;
    }
    prev = f;
  }
  return { checksAtDepth };
}

function patternProblem(pattern: string, pointer: string): SchemaProblem | null {
  let size: number;
  try {
    size = compilePattern(pattern).programSize();
  } catch (e) {
    return { pointer, message: `is not a pattern Baton can match in linear time (RE2 syntax: no backreferences, no lookahead or lookbehind): ${(e as Error).message}` };
  }
  if (size > SCHEMA_LIMITS.maxPatternProgramSize) {
    return { pointer, limit: "maxPatternProgramSize", message: `compiles to ${size} RE2 instructions; a pattern may have at most ${SCHEMA_LIMITS.maxPatternProgramSize}` };
  }
  return null;
}

function resolve(
  ref: string, base: string, resources: Map<string, number>, anchors: Map<string, number>, byObject: Map<unknown, number>, nodes: Node[],
): number | null {
  let url: string;
  try {
    url = new URL(ref, base).href;
  } catch {
    return null;
  }
  const hash = url.indexOf("#");
  const resource = resources.get(hash < 0 ? url : url.slice(0, hash));
  if (resource === undefined) return null;
  let fragment = "";
  try {
    fragment = hash < 0 ? "" : decodeURIComponent(url.slice(hash + 1));
  } catch {
    return null;
  }
  if (fragment === "") return resource;
  if (!fragment.startsWith("/")) return anchors.get(url) ?? null;
  let target: unknown = nodes[resource]!.raw;
  for (const token of fragment.slice(1).split("/")) {
    const key = token.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof target !== "object" || target === null || !Object.prototype.hasOwnProperty.call(target, key)) return null;
    target = (target as Record<string, unknown>)[key];
  }
  if (typeof target === "boolean") {
    // a boolean subschema has no identity: any boolean node of the same value costs the same (1)
    const same = nodes.findIndex((n) => n.raw === target);
    return same < 0 ? null : same;
  }
  return byObject.get(target) ?? null;
}
