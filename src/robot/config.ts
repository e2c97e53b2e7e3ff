import { readFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { commandProcess } from "./commandProcess.js";
import type { ProcessHandler } from "./RobotRuntime.js";

/** The robot config file of SPEC §3. */
export interface RobotConfig {
  orchestrator: string[];
  key: string;
  name: string;
  slots: number;
  stopGraceSeconds: number;
  processes: Record<string, ProcessConfig>;
}

export type ProcessConfig =
  | { command: string[]; cwd: string; env: Record<string, string>; timeoutSeconds: number | null; noRetryExitCodes: number[] }
  | { module: string };

export class RobotConfigError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file} is not a valid robot config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "RobotConfigError";
  }
}

/** Reads and checks a config file; BATON_URL and BATON_ROBOT_KEY override `orchestrator` and `key`. */
export function loadRobotConfig(file: string, env: NodeJS.ProcessEnv = process.env): RobotConfig {
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new RobotConfigError(file, [(err as Error).message]);
  }
  const base = dirname(path);
  const problems: string[] = [];
  const c = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;

  const orchestrator = env.BATON_URL ? env.BATON_URL.split(",").map((s) => s.trim()).filter(Boolean) : typeof c.orchestrator === "string" ? [c.orchestrator] : c.orchestrator;
  if (!Array.isArray(orchestrator) || orchestrator.length === 0 || !orchestrator.every(isHttpUrl)) {
    problems.push("orchestrator must be a list of tenant base URLs such as http://127.0.0.1:8080/default/DefaultTenant (or set BATON_URL)");
  }
  const key = env.BATON_ROBOT_KEY || c.key;
  if (typeof key !== "string" || key.length === 0) problems.push("key must be the robot key (or set BATON_ROBOT_KEY); create one with POST …/api/v1/robots");
  const name = c.name ?? "robot";
  if (typeof name !== "string" || name.length === 0) problems.push("name must be a non-empty string");
  const slots = c.slots ?? 1;
  if (!Number.isInteger(slots) || (slots as number) < 1) problems.push("slots must be a positive integer");
  const stopGraceSeconds = c.stopGraceSeconds ?? 10;
  if (typeof stopGraceSeconds !== "number" || stopGraceSeconds < 0) problems.push("stopGraceSeconds must be a number >= 0");

  const processes: Record<string, ProcessConfig> = {};
  const entries = typeof c.processes === "object" && c.processes !== null && !Array.isArray(c.processes) ? Object.entries(c.processes) : [];
  if (entries.length === 0) problems.push("processes must map at least one process name to a command or a module");
  for (const [processName, spec] of entries) {
    const s = (typeof spec === "object" && spec !== null ? spec : {}) as Record<string, unknown>;
    const where = `processes.${processName}`;
    if (s.command !== undefined && s.module !== undefined) problems.push(`${where}: give either command or module, not both`);
    else if (Array.isArray(s.command)) {
      if (s.command.length === 0 || !s.command.every((a) => typeof a === "string")) problems.push(`${where}.command must be a non-empty argv array of strings`);
      const env = s.env ?? {};
      if (typeof env !== "object" || env === null || Array.isArray(env) || !Object.values(env).every((v) => typeof v === "string")) problems.push(`${where}.env must map names to strings`);
      const timeout = s.timeoutSeconds ?? null;
      if (timeout !== null && (typeof timeout !== "number" || timeout <= 0)) problems.push(`${where}.timeoutSeconds must be a positive number`);
      const noRetry = s.noRetryExitCodes ?? [];
      if (!Array.isArray(noRetry) || !noRetry.every((c) => Number.isInteger(c) && c >= 1 && c <= 255)) {
        problems.push(`${where}.noRetryExitCodes must be a list of exit codes (integers from 1 to 255)`);
      }
      processes[processName] = {
        command: s.command as string[], cwd: resolve(base, typeof s.cwd === "string" ? s.cwd : "."), env: env as Record<string, string>, timeoutSeconds: timeout as number | null,
        noRetryExitCodes: Array.isArray(noRetry) ? noRetry as number[] : [],
      };
    } else if (typeof s.module === "string") {
      processes[processName] = { module: resolve(base, s.module) };
    } else problems.push(`${where} must have a command (argv array) or a module (path)`);
  }
  if (problems.length) throw new RobotConfigError(file, problems);
  return { orchestrator: orchestrator as string[], key: key as string, name: name as string, slots: slots as number, stopGraceSeconds: stopGraceSeconds as number, processes };
}

const TYPESCRIPT = [".ts", ".mts", ".cts", ".tsx"];

/**
 * Builds each process's handler: commands as child processes, modules imported. A TypeScript
 * module goes through tsx's `tsImport`, which transforms it wherever it is: a `.ts` file
 * outside this package, with no package.json saying `"type": "module"` beside it, is
 * CommonJS to Node, whose loader would choke on its first type annotation.
 */
export async function processHandlers(config: RobotConfig): Promise<Record<string, ProcessHandler>> {
  const handlers: Record<string, ProcessHandler> = {};
  for (const [name, spec] of Object.entries(config.processes)) {
    if ("command" in spec) {
      handlers[name] = commandProcess(spec);
      continue;
    }
    const fn = defaultExport(await loadModule(spec.module, name));
    if (typeof fn !== "function") throw new Error(`${spec.module} (process ${name}) must export default async (input, ctx) => output.`);
    handlers[name] = (input, ctx) => (fn as ProcessHandler)(input, ctx);
  }
  return handlers;
}

/** Imports a module file; a failure (not found, a syntax error, a throw at load) names the file and the process. */
async function loadModule(file: string, processName: string): Promise<Record<string, unknown>> {
  try {
    if (TYPESCRIPT.includes(extname(file))) {
      const { tsImport } = await import("tsx/esm/api");
      return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
    }
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot load the module of process ${processName}, ${file}: ${message}`, { cause: err });
  }
}

/**
 * The default export. A module loaded as CommonJS (a `.ts` file in a CommonJS scope, its
 * `export default` compiled to `exports.default`) comes back as `{ default: module.exports }`.
 */
function defaultExport(mod: Record<string, unknown>): unknown {
  const value = mod.default;
  if (typeof value === "function") return value;
  if (typeof value === "object" && value !== null && typeof (value as { default?: unknown }).default === "function") return (value as { default: unknown }).default;
  return value;
}

function isHttpUrl(v: unknown): boolean {
  if (typeof v !== "string") return false;
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
