/**
 * The stored login of the command line (`baton login`): the tenant's URL and a token in
 * `$XDG_CONFIG_HOME/baton/config.json` (else `~/.config/baton/config.json`; on Windows
 * `%APPDATA%\baton\config.json`), the file 0600 in a 0700 folder.
 *
 * BATON_URL and BATON_TOKEN in the environment override it (SPEC §7). BATON_URL alone
 * names another server: the stored token is not sent there unless the stored URL is the
 * same one.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { tenantUrl } from "../client/index.js";
import { CliError } from "./output.js";

export interface Login {
  /** The tenant's base, e.g. http://127.0.0.1:8080/default/DefaultTenant */
  url: string;
  token?: string;
}

export interface ResolvedLogin extends Login {
  /** Where the URL came from. */
  source: "environment" | "config";
}

type Env = NodeJS.ProcessEnv;

/** `…/baton`: the folder of the stored login. */
export function configDir(env: Env = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "baton");
  if (process.platform === "win32" && env.APPDATA) return join(env.APPDATA, "baton");
  return join(env.HOME || homedir(), ".config", "baton");
}

export function configFile(env: Env = process.env): string {
  return join(configDir(env), "config.json");
}

/** The stored login, or null when there is none. A file that is not a login is an error that says where it is. */
export function readStoredLogin(env: Env = process.env): Login | null {
  const file = configFile(env);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CliError("config-unreadable", `Cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError("config-invalid", `${file} is not JSON; run baton login again, or baton logout to remove it.`);
  }
  const { url, token } = (parsed ?? {}) as Partial<Login>;
  if (typeof url !== "string" || (token !== undefined && typeof token !== "string")) {
    throw new CliError("config-invalid", `${file} holds no login (expected { "url": "…", "token": "…" }); run baton login again, or baton logout to remove it.`);
  }
  return token === undefined ? { url } : { url, token };
}

/** Writes the login: the folder 0700, the file 0600 (written aside, then renamed over the old one). Answers the file's path. */
export function writeStoredLogin(login: Login, env: Env = process.env): string {
  const file = configFile(env);
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ url: login.url, ...(login.token ? { token: login.token } : {}) }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
  return file;
}

/** Removes the stored login; false when there was none. */
export function removeStoredLogin(env: Env = process.env): boolean {
  const file = configFile(env);
  if (!existsSync(file)) return false;
  rmSync(file, { force: true });
  return true;
}

/** The URL and token a command uses: the environment's over the stored login's. */
export function resolveLogin(env: Env = process.env): ResolvedLogin {
  const envUrl = env.BATON_URL?.trim() || undefined;
  const envToken = env.BATON_TOKEN?.trim() || undefined;
  if (envUrl) {
    checkUrl(envUrl, "BATON_URL");
    // the stored token goes only to the server it was stored for (and an unreadable file is no reason to fail)
    let stored: Login | null = null;
    try {
      stored = envToken ? null : readStoredLogin(env);
    } catch {
      stored = null;
    }
    const token = envToken ?? (stored?.token && sameTenant(stored.url, envUrl) ? stored.token : undefined);
    return { url: envUrl, ...(token ? { token } : {}), source: "environment" };
  }
  const stored = readStoredLogin(env);
  if (!stored) {
    throw new CliError("not-logged-in", "No Baton to talk to: run baton login, or set BATON_URL (a tenant's base, e.g. http://127.0.0.1:8080/default/DefaultTenant) and BATON_TOKEN.");
  }
  checkUrl(stored.url, configFile(env));
  const token = envToken ?? stored.token;
  return { url: stored.url, ...(token ? { token } : {}), source: "config" };
}

function checkUrl(url: string, where: string): void {
  try {
    tenantUrl(url);
  } catch (err) {
    throw new CliError("invalid-url", `${(err as Error).message} (from ${where})`, 3);
  }
}

function sameTenant(a: string, b: string): boolean {
  try {
    return tenantUrl(a) === tenantUrl(b);
  } catch {
    return false;
  }
}
