// Summarizes a .cpuprofile (from `npm run bench -- --cpu-prof`): self time by function and
// by module, and inclusive time of the functions that matter most.
// Usage: node bench/profile-summary.js <file.cpuprofile> [top=25] [--from=S]
// --from=S: only the samples from S seconds after the profile began (leaves out the start:
// loading modules, compiling schemas, the warm-up's first calls)
import { readFileSync } from "node:fs";

const from = Number(process.argv.find((a) => a.startsWith("--from="))?.slice(7) ?? 0) * 1e6;
const [file, topArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
if (!file) {
  console.error("usage: node bench/profile-summary.js <file.cpuprofile> [top] [--from=S]");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// self time per node from the samples and their time deltas
const self = new Map();
let at = 0;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  if (at >= from) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (cf) => {
  const url = cf.url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "npm:").replace(/^.*\/(dist|src)\//, "$1/");
  return url ? `${url}:${cf.lineNumber + 1}` : "(native)";
};
const label = (n) => `${n.callFrame.functionName || "(anonymous)"} ${where(n.callFrame)}`;
const moduleOf = (n) => {
  const url = n.callFrame.url;
  if (!url) return n.callFrame.functionName.startsWith("(") ? n.callFrame.functionName : "(native)";
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return `npm:${m[1]}`;
  if (url.startsWith("node:")) return url;
  const d = /\/(dist|src)\/(.*)$/.exec(url);
  return d ? `baton:${d[2]}` : url;
};

const bySelf = new Map();
const byModule = new Map();
const inclusive = new Map();
for (const [id, t] of self) {
  const n = nodes.get(id);
  bySelf.set(label(n), (bySelf.get(label(n)) ?? 0) + t);
  byModule.set(moduleOf(n), (byModule.get(moduleOf(n)) ?? 0) + t);
  // inclusive: every distinct function on the stack gets the sample once
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(nodes.get(cur));
    if (!seen.has(l)) { seen.add(l); inclusive.set(l, (inclusive.get(l) ?? 0) + t); }
  }
}

const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
const print = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(t)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
print("self time by module", byModule, top);
print("self time by function", bySelf, top);
print("inclusive time by function", inclusive, top);
