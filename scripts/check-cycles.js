#!/usr/bin/env node
// Fails when the relative imports between src/**/*.ts form a cycle (issue 15: module hygiene).
//
// Every kind of import counts: `import type` too, because a type-only cycle is still two
// concepts that cannot be understood (or moved) apart, and `import()` calls and `import("…").T`
// type references too. Files are parsed with the TypeScript compiler the project already
// depends on, so imports in comments or strings are never mistaken for real ones.
//
// Usage: node scripts/check-cycles.js [dir]   (default: src)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(process.argv[2] ?? "src");

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

function specifiers(file) {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found = [];
  const literal = (node) => (node && ts.isStringLiteralLike(node) ? node.text : undefined);
  const visit = (node) => {
    let spec;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) spec = literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) spec = literal(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) spec = literal(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) spec = literal(node.argument.literal);
    if (spec !== undefined) found.push(spec);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

// "./x.js" names the compiled file; the source is x.ts (or x.tsx, or x/index.ts)
function resolveImport(from, spec, known) {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|mjs|cjs|jsx|ts|tsx)$/, "");
  for (const candidate of [base, `${stem}.ts`, `${stem}.tsx`, join(base, "index.ts")]) {
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

const files = sourceFiles(root).sort();
const known = new Set(files);
const graph = new Map(files.map((f) => [f, [...new Set(specifiers(f).map((s) => resolveImport(f, s, known)).filter(Boolean))].sort()]));

// Tarjan's strongly connected components: every cycle lies inside one component of 2+ files
// (or is a file importing itself)
function components() {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const out = [];
  const strong = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v)) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || graph.get(v).includes(v)) out.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return out;
}

// the shortest path from `to` back to `from` inside the component, so that the edge
// from → to closes a cycle; listing one per edge names every import that takes part in a cycle
function shortestCycle(from, to, members) {
  const prev = new Map([[to, undefined]]);
  const queue = [to];
  while (queue.length) {
    const v = queue.shift();
    if (v === from) break;
    for (const w of graph.get(v)) if (members.has(w) && !prev.has(w)) { prev.set(w, v); queue.push(w); }
  }
  const path = [];
  for (let v = from; v !== undefined; v = prev.get(v)) path.unshift(v);
  return [from, ...path.slice(0, -1)];
}

const name = (f) => relative(process.cwd(), f);
const sccs = components();
if (sccs.length === 0) {
  console.log(`check-cycles: no import cycles among ${files.length} files in ${name(root) || "."}`);
  process.exit(0);
}
const seen = new Set();
for (const scc of sccs) {
  const members = new Set(scc);
  console.error(`Import cycle among ${scc.length} file(s): ${scc.map(name).join(", ")}`);
  for (const from of scc) {
    for (const to of graph.get(from)) {
      if (!members.has(to)) continue;
      const cycle = shortestCycle(from, to, members);
      // a cycle is the same one whichever of its files it is printed from
      const start = cycle.indexOf([...cycle].sort()[0]);
      const key = [...cycle.slice(start), ...cycle.slice(0, start)].join(" ");
      if (seen.has(key)) continue;
      seen.add(key);
      console.error(`  ${[...cycle, cycle[0]].map(name).join(" -> ")}`);
    }
  }
}
console.error(`check-cycles: ${sccs.length} group(s) of files import each other; move what they share into its own file`);
process.exit(1);
