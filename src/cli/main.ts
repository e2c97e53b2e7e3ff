import { Command, CommanderError } from "commander";
import { configFromEnv } from "../config.js";
// the server and the robot are loaded by the commands that run them: the client commands start in a third of the time
import type { RunningBaton } from "../app.js";
import { isStoreUnavailable } from "../core/errors.js";
import { banner } from "./banner.js";
import { registerClientCommands } from "./commands/index.js";

const VERSION = "0.1.0";

const program = new Command();
program.name("baton").description("Baton: API triggers turn HTTP calls into jobs that robots run.").version(VERSION);
// usage errors (unknown command or option, missing argument) exit 3, not 1 (docs/cli.md); inherited by every command
program.exitOverride();

program
  .command("start")
  .description("run everything on one machine: the orchestrator on embedded SQLite, an in-process robot, demo processes and triggers")
  .action(async () => serve(true, "human"));

program
  .command("serve")
  .description("run an orchestrator node")
  .option("--demo", "also create the demo processes and triggers and run the in-process robot", false)
  .action(async (opts: { demo: boolean }) => serve(opts.demo, "json"));

program
  .command("migrate")
  .description("apply the store's migrations and exit")
  .action(async () => {
    const { openStore } = await import("../app.js");
    const { store } = openStore(configFromEnv());
    await store.migrate();
    await store.close();
    console.log(`Migrated the ${store.engine} store.`);
  });

program
  .command("robot")
  .description("run a robot: claims jobs of the processes its config maps to commands or modules, over the robot protocol")
  .requiredOption("-c, --config <file>", "robot config (JSON; see docs/robot-protocol.md)")
  .action(async (opts: { config: string }) => runRobot(opts.config));

async function runRobot(file: string): Promise<void> {
  const { loadRobotConfig, processHandlers } = await import("../robot/config.js");
  const { HttpConnection } = await import("../robot/HttpConnection.js");
  const { RobotRuntime } = await import("../robot/RobotRuntime.js");
  let config;
  let processes;
  try {
    config = loadRobotConfig(file);
    processes = await processHandlers(config);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(3);
  }
  const log = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
    console.error(JSON.stringify({ time: new Date().toISOString(), level, robot: config.name, msg, ...extra }));
  const connection = new HttpConnection({ orchestrators: config.orchestrator, robotKey: config.key, onError: (err) => log("warn", (err as Error).message) });
  const runtime = new RobotRuntime(connection, {
    name: config.name, slots: config.slots, processes, version: VERSION, stopGraceMs: config.stopGraceSeconds * 1000,
    onError: (err) => log("warn", (err as Error).message),
  });
  await runtime.start();
  log("info", `robot ${config.name} serving ${Object.keys(processes).join(", ")} with ${config.slots} slot(s)`, { session: runtime.sessionId, orchestrator: connection.baseUrl });
  const stop = (signal: string) => {
    log("info", `${signal}: finishing running jobs (up to ${config.stopGraceSeconds} s), then handing back the rest`);
    runtime.stop(config.stopGraceSeconds * 1000).then(() => process.exit(0), (err: unknown) => { log("error", String(err)); process.exit(1); });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

/** `start` logs for people, `serve` JSON lines for machines (deployments); BATON_LOG_FORMAT overrides both. */
async function serve(demo: boolean, logFormat: "json" | "human"): Promise<void> {
  const { startBaton } = await import("../app.js");
  const config = configFromEnv();
  config.logFormat ??= logFormat;
  let running: RunningBaton;
  try {
    running = await startBaton(config, { demo });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") console.error(`Port ${config.port} on ${config.host} is in use; set BATON_PORT to another port.`);
    else console.error(explain(err));
    process.exit(1);
  }
  console.log(banner(running, demo));
  const stop = (signal: string) => {
    console.error(`${signal}: shutting down gracefully (LongPolling callers get their 303, the robot finishes or hands back its jobs)...`);
    running.shutdown().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

/** An operator-facing message: what failed and what to do. */
function explain(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  if (isStoreUnavailable(err)) {
    const url = process.env.BATON_DATABASE_URL;
    const where = url ? new URL(url).host : "the database";
    const cause = (err.cause as Error | undefined)?.message ?? message;
    return `Cannot reach PostgreSQL at ${where} (${cause}). Is it running, and is BATON_DATABASE_URL right?`;
  }
  return message;
}

registerClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // commander has printed the usage error (or the help, or the version) already
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 3);
  console.error(explain(err));
  process.exit(1);
});
