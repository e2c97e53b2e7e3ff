import type { Command } from "commander";
import type { RobotKey } from "../../client/index.js";
import { pick } from "../args.js";
import { action, print, printJson, printTable, when } from "../output.js";
import { connect, jsonOption, type JsonOption } from "./common.js";

/** `baton robots ls|create|rm` */
export function registerRobots(program: Command): void {
  const robots = program.command("robots").description("robots and their robot keys: list, create (prints the key once), revoke");

  jsonOption(robots.command("ls").alias("list").description("the tenant's robots, revoked ones included"))
    .action(action(async (opts: JsonOption) => {
      const items: RobotKey[] = [];
      for await (const r of connect().robots.iterate()) items.push(r);
      if (opts.json) return printJson(items);
      printTable(["NAME", "ID", "CREATED", "REVOKED"], items.map((r) => [r.name, r.id, when(r.createdAt), when(r.revokedAt)]), "No robots.");
    }));

  jsonOption(
    robots
      .command("create")
      .description("create a robot and its robot key; the key is printed this once")
      .argument("<name>", "1-128 letters, digits, '-', '_', '.' or '@', unique in the tenant"),
  ).action(action(async (name: string, opts: JsonOption) => {
    const robot = await connect().robots.create(name);
    if (opts.json) return printJson(robot);
    print(`Created robot ${robot.name} (id ${robot.id}).`);
    print("Its robot key, shown only this once (put it in the robot's config as \"key\"):");
    print(robot.key);
  }));

  jsonOption(robots.command("rm").alias("revoke").description("revoke a robot's key: its sessions end, their jobs go back to Pending").argument("<name|id>", "the robot's name or id"))
    .action(action(async (nameOrId: string, opts: JsonOption) => {
      const client = connect();
      const all: RobotKey[] = [];
      for await (const r of client.robots.iterate()) all.push(r);
      const robot = pick(all, nameOrId, "robot");
      await client.robots.revoke(robot.id);
      if (opts.json) return printJson({ deleted: robot });
      print(`Revoked robot ${robot.name} (id ${robot.id}).`);
    }));
}
