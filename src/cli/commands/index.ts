import type { Command } from "commander";
import { registerCompletion } from "./completion.js";
import { registerFolders } from "./folders.js";
import { registerInvoke } from "./invoke.js";
import { registerJobs } from "./jobs.js";
import { registerLogin } from "./login.js";
import { registerProcesses } from "./processes.js";
import { registerRobots } from "./robots.js";
import { registerTokens } from "./tokens.js";
import { registerTimeTriggers } from "./timeTriggers.js";
import { registerTriggers } from "./triggers.js";
import { registerUsers } from "./users.js";
import { registerWebhooks } from "./webhooks.js";

/**
 * The client commands (docs/cli.md): they talk to a Baton over its HTTP API with the
 * TypeScript client, as any other caller does. Registered with `program.command()`, so they
 * inherit the program's settings (exitOverride: a usage error exits 3).
 */
export function registerClientCommands(program: Command): void {
  program.commandsGroup("Client commands (BATON_URL and BATON_TOKEN, or baton login):");
  registerLogin(program);
  registerInvoke(program);
  registerJobs(program);
  registerTriggers(program);
  registerTimeTriggers(program);
  registerProcesses(program);
  registerRobots(program);
  registerTokens(program);
  registerUsers(program);
  registerFolders(program);
  registerWebhooks(program);
  registerCompletion(program);
  program.addHelpText("after", `
Exit status: 0 success (the job ended Successful), 1 the job ended Faulted, 2 it ended
Stopped, 3 usage (unknown command or option, bad argument, a request the API refused as
invalid), 4 any other failure (401, 404, network, timeout, no login), 130 interrupted.
Every client command takes --json for scripts. See docs/cli.md.`);
}
