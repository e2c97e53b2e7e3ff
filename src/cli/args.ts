/**
 * Arguments as the command line takes them: `-a key=value` (values parsed like query-string
 * values), `--json-args`, call modes by their short names, and folders, triggers, robots
 * and tokens by name or key.
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import { queryValue } from "../core/arguments.js";
import type { Arguments, BatonClient, CallMode, Folder, Trigger } from "../client/index.js";
import { CliError, UsageError } from "./output.js";

/** `--mode` values and the call modes they stand for. */
export const MODES = { async: "AsyncRequestReply", fire: "FireAndForget", sync: "LongPolling" } as const satisfies Record<string, CallMode>;
export type Mode = keyof typeof MODES;

/** commander's collector of a repeatable option. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A whole number in [min, max], for commander (a bad one is a usage error). */
export const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => (value: string): number => {
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}.`);
  return n;
};

/** A number of seconds > 0 (fractions allowed). */
export const seconds = (value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("Expected a number of seconds greater than 0.");
  return n;
};

/**
 * The arguments of `--json-args` (a JSON object, `@file` or `@-` for stdin) overridden by the
 * `-a key=value` pairs. A value parses as a JSON number, boolean, array or object, else it
 * is the string as typed (`-a n=42` is a number, `-a n='"42"'` or `-a s=hello` strings); a key
 * given twice is an array of its values, as in a query string.
 */
export function parseArguments(pairs: string[] = [], jsonArgs?: string): Arguments {
  const args: Arguments = jsonArgs === undefined ? {} : jsonObject(jsonArgs, "--json-args");
  const repeated = new Map<string, unknown[]>();
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`-a takes key=value; got '${pair}'.`);
    const key = pair.slice(0, eq);
    const values = repeated.get(key) ?? [];
    values.push(queryValue(pair.slice(eq + 1)));
    repeated.set(key, values);
  }
  for (const [key, values] of repeated) {
    // defineProperty: a key named __proto__ stays an argument
    Object.defineProperty(args, key, { value: values.length === 1 ? values[0] : values, enumerable: true, writable: true, configurable: true });
  }
  return args;
}

/** A JSON object from the text of an option: the JSON itself, `@file`, or `@-` (stdin). */
export function jsonObject(text: string, option: string): Arguments {
  let source = text;
  if (text.startsWith("@")) {
    const file = text.slice(1);
    try {
      source = readFileSync(file === "-" ? 0 : file, "utf8");
    } catch (err) {
      throw new UsageError(`${option}: cannot read ${file === "-" ? "stdin" : file}: ${(err as Error).message}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    throw new UsageError(`${option} is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`${option} must be a JSON object.`);
  return value as Arguments;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);

/** The folder with this name or key. */
export async function findFolder(client: BatonClient, nameOrKey: string): Promise<Folder> {
  const folder = await client.folders.find(nameOrKey);
  if (!folder) throw new CliError("folder-not-found", `No folder is named or keyed '${nameOrKey}'; baton folders ls lists them.`);
  return folder;
}

/** The trigger with this slug or id. */
export async function findTrigger(client: BatonClient, slugOrId: string): Promise<Trigger> {
  const found = isUuid(slugOrId) ? await client.triggers.get(slugOrId).catch(() => null) : null;
  const trigger = found ?? (await client.triggers.bySlug(slugOrId));
  if (!trigger) throw new CliError("trigger-not-found", `No API trigger has the slug or id '${slugOrId}'; baton triggers ls lists them.`);
  return trigger;
}

/** The one item whose id is `idOrName`, or else the one named `idOrName` (several: ambiguous). */
export function pick<T extends { id: string; name: string; revokedAt: string | null }>(items: T[], idOrName: string, what: string): T {
  const byId = items.find((i) => i.id === idOrName);
  if (byId) return byId;
  const named = items.filter((i) => i.name === idOrName);
  const live = named.filter((i) => i.revokedAt === null);
  if (live.length === 1) return live[0]!;
  if (live.length > 1) throw new CliError("ambiguous-name", `${live.length} ${what}s are named '${idOrName}'; give the id (${live.map((i) => i.id).join(", ")}).`, 3);
  if (named.length >= 1) return named[0]!;
  throw new CliError(`${what}-not-found`, `No ${what} has the name or id '${idOrName}'; baton ${what}s ls lists them.`);
}
