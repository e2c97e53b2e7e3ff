import { Command } from "commander";
import { configFromEnv } from "../config.js";
import { openStore, startBaton, type RunningBaton } from "../app.js";
import { banner } from "./banner.js";

const program = new Command();
program.name("baton").description("Baton: API triggers turn HTTP calls into jobs that robots run.").version("0.1.0");

program
  .command("start")
  .description("run everything on one machine: the orchestrator on embedded SQLite, an in-process robot, demo processes and triggers")
  .action(async () => serve(true));

program
  .command("serve")
  .description("run an orchestrator node")
  .option("--demo", "also create the demo processes and triggers and run the in-process robot", false)
  .action(async (opts: { demo: boolean }) => serve(opts.demo));

program
  .command("migrate")
  .description("apply the store's migrations and exit")
  .action(async () => {
    const store = openStore(configFromEnv());
    await store.migrate();
    await store.close();
    console.log(`Migrated the ${store.engine} store.`);
  });

async function serve(demo: boolean): Promise<void> {
  const config = configFromEnv();
  let running: RunningBaton;
  try {
    running = await startBaton(config, { demo });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") console.error(`Port ${config.port} on ${config.host} is in use; set BATON_PORT to another port.`);
    else console.error(e.message);
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

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
