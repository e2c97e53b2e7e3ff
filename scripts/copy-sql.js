#!/usr/bin/env node
// Part of `npm run build`, after `tsc -b`: the store's migrations are .sql files that tsc does
// not emit, read at run time from the directory next to the compiled module, so the build
// copies src/store/<engine>/migrations/*.sql into dist/store/<engine>/migrations/.
// Each destination is emptied first: a migration renamed or removed in src must not linger in
// dist, where the loader would see two files with one number.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src", "store");
const dist = join(root, "dist", "store");

let copied = 0;
for (const engine of readdirSync(src, { withFileTypes: true })) {
  const from = join(src, engine.name, "migrations");
  if (!engine.isDirectory() || !existsSync(from)) continue;
  const to = join(dist, engine.name, "migrations");
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((f) => f.endsWith(".sql"))) {
    copyFileSync(join(from, file), join(to, file));
    copied++;
  }
}
if (!copied) throw new Error(`copy-sql: no migration found under ${src}`);
console.log(`copy-sql: ${copied} migrations copied into ${dist}`);
