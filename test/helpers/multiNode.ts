import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { readBanner, spawnBaton, tempDir, type Banner, type BatonChild } from "./child.js";
import { call, freePort, type Orchestrator } from "./robot.js";

/**
 * Several `baton serve` nodes on one PostgreSQL, as real processes, and a private
 * PostgreSQL instance a test may stop and start at will (never the machine's shared one).
 */

const run = promisify(execFile);

/** The machine's PostgreSQL, shared by the whole suite: schemas of their own, never restarted. */
export const SHARED_DATABASE = process.env.BATON_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A fresh schema name and the BATON_DATABASE_URL that selects it on `database`. */
export function schemaUrl(database: string = SHARED_DATABASE): { url: string; schema: string } {
  const schema = `baton_mn_${randomBytes(6).toString("hex")}`;
  return { url: `${database}${database.includes("?") ? "&" : "?"}schema=${schema}`, schema };
}

export async function dropSchemaOn(database: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: database, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export const newToken = () => `baton_pat_mn_${randomBytes(16).toString("hex")}`;

/** One `baton serve` node and how to talk to it. */
export interface Node {
  name: string;
  child: BatonChild;
  banner: Banner;
  /** management client of this node (admin token, Shared folder) */
  o: Orchestrator;
  /** `{tenantUrl}/orchestrator_/t/{Shared}/{slug}` on this node */
  invokeUrl(slug: string): string;
}

/**
 * `baton serve` on `databaseUrl` (any free port, no demo robot, the bootstrap token shared by
 * every node); resolves once the banner is printed and the Shared folder is known.
 */
export async function startNode(name: string, databaseUrl: string, token: string, env: Record<string, string> = {}): Promise<Node> {
  const child = spawnBaton(["serve"], {
    BATON_PORT: "0", BATON_DATA_DIR: tempDir("baton-node-"), BATON_DATABASE_URL: databaseUrl, BATON_BOOTSTRAP_TOKEN: token,
    BATON_LOG_LEVEL: "warn", BATON_SHUTDOWN_GRACE_SECONDS: "1", ...env,
  });
  let banner: Banner;
  try {
    banner = await readBanner(child);
  } catch (err) {
    await child.stop("SIGKILL");
    throw err;
  }
  const bare: Orchestrator = { tenantUrl: banner.tenantUrl, base: banner.base, token, folderKey: "" };
  const { items } = await call<{ items: { key: string; name: string }[] }>(bare, "GET", "/api/v1/folders");
  const o = { ...bare, folderKey: items.find((f) => f.name === "Shared")!.key };
  return { name, child, banner, o, invokeUrl: (slug) => `${banner.base}/t/${o.folderKey}/${slug}` };
}

/** A running node process has not exited (no crash on a lost database). */
export const nodeAlive = (n: Node) => n.child.proc.exitCode === null && n.child.proc.signalCode === null;

// ---- a private PostgreSQL instance

const PG_BIN = process.env.BATON_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/**
 * A PostgreSQL cluster of its own: `initdb` into a temp folder (as the `postgres` OS user
 * when the tests run as root: initdb and pg_ctl refuse root), its own port, its socket in
 * the same folder. Stop, start and restart it freely; `destroy` stops it and removes it.
 */
export class PrivatePostgres {
  private constructor(readonly root: string, readonly dataDir: string, readonly port: number, private readonly asUser: string | null) {}

  /** postgres://postgres@127.0.0.1:PORT/postgres */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static available(): boolean {
    return existsSync(join(PG_BIN, "initdb")) && existsSync(join(PG_BIN, "pg_ctl"));
  }

  static async create(): Promise<PrivatePostgres> {
    const root = mkdtempSync(join(tmpdir(), "baton-pg-"));
    const asUser = userInfo().uid === 0 ? "postgres" : null;
    if (asUser) {
      const { stdout } = await run("id", ["-u", asUser]);
      const { stdout: gid } = await run("id", ["-g", asUser]);
      chownSync(root, Number(stdout.trim()), Number(gid.trim()));
    }
    const pgc = new PrivatePostgres(root, join(root, "data"), await freePort(), asUser);
    try {
      await pgc.exec("initdb", ["-D", pgc.dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
      await pgc.start();
    } catch (err) {
      await pgc.destroy();
      throw err;
    }
    return pgc;
  }

  /** Runs a PostgreSQL binary (as the postgres user when we are root). */
  private async exec(bin: string, args: string[]): Promise<string> {
    const file = this.asUser ? "runuser" : join(PG_BIN, bin);
    const argv = this.asUser ? ["-u", this.asUser, "--", join(PG_BIN, bin), ...args] : args;
    try {
      const { stdout, stderr } = await run(file, argv, { cwd: this.root, timeout: 60_000 });
      return stdout + stderr;
    } catch (err) {
      const e = err as Error & { stdout?: string; stderr?: string };
      throw new Error(`${bin} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}\n${this.log()}`);
    }
  }

  /** The server's log so far (for failure messages). */
  log(): string {
    const file = join(this.root, "server.log");
    return existsSync(file) ? readFileSync(file, "utf8").slice(-4000) : "";
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    await this.exec("pg_ctl", [
      "-D", this.dataDir, "-l", join(this.root, "server.log"), "-w", "-t", "30",
      "-o", `-p ${this.port} -k ${this.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, "start",
    ]);
  }

  /** Stops the server (`fast`: sessions are terminated, as an operator's restart does). */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await this.exec("pg_ctl", ["-D", this.dataDir, "-m", mode, "-w", "-t", "30", "stop"]);
  }

  /** Stops it (if running) and removes its folder. */
  async destroy(): Promise<void> {
    if (existsSync(join(this.dataDir, "postmaster.pid"))) await this.stop("immediate").catch(() => {});
    rmSync(this.root, { recursive: true, force: true });
  }
}
