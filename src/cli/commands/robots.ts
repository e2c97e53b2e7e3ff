import type { Command } from "commander";
import type { BatonClient, RobotKey } from "../../client/index.js";
import { collect, findFolder, pick } from "../args.js";
import { action, print, printJson, printTable, when } from "../output.js";
import { connect, folderNames, jsonOption, type JsonOption } from "./common.js";

/** `baton robots ls|create|rotate|rm` */
export function registerRobots(program: Command): void {
  const robots = program.command("robots").description("robots and their robot keys: list, create and rotate (print the key once), revoke");

  jsonOption(robots.command("ls").alias("list").description("the tenant's robots, revoked ones included"))
    .action(action(async (opts: JsonOption) => {
      const client = connect();
      const items: RobotKey[] = [];
      for await (const r of client.robots.iterate()) items.push(r);
      if (opts.json) return printJson(items);
      const names = items.some((r) => r.folderKeys) ? await folderNames(client) : new Map<string, string>();
      printTable(
        ["NAME", "ID", "FOLDERS", "CREATED", "ROTATED", "REVOKED"],
        items.map((r) => [r.name, r.id, folders(r, names), when(r.createdAt), when(r.rotatedAt), when(r.revokedAt)]),
        "No robots.",
      );
    }));

  jsonOption(
    robots
      .command("create")
      .description("create a robot and its robot key; the key is printed this once")
      .argument("<name>", "1-128 letters, digits, '-', '_', '.' or '@', unique in the tenant")
      .option("--folder <name|key>", "run only the jobs of this folder (repeatable; default: every folder)", collect),
  ).action(action(async (name: string, opts: JsonOption & { folder?: string[] }) => {
    const client = connect();
    const limitedTo = opts.folder ? await Promise.all(opts.folder.map((f) => findFolder(client, f))) : null;
    const robot = await client.robots.create(limitedTo ? { name, folderKeys: [...new Set(limitedTo.map((f) => f.key))] } : name);
    if (opts.json) return printJson(robot);
    const only = limitedTo ? `, limited to ${folders(robot, new Map(limitedTo.map((f) => [f.key, f.name])))}` : "";
    print(`Created robot ${robot.name} (id ${robot.id})${only}.`);
    print("Its robot key, shown only this once (put it in the robot's config as \"key\"):");
    print(robot.key);
  }));

  jsonOption(
    robots
      .command("rotate")
      .description("replace a robot's key: the new key is printed this once; the old one stops working and its sessions end")
      .argument("<name|id>", "the robot's name or id"),
  ).action(action(async (nameOrId: string, opts: JsonOption) => {
    const client = connect();
    const robot = await findRobot(client, nameOrId);
    const rotated = await client.robots.rotate(robot.id);
    if (opts.json) return printJson(rotated);
    print(`Rotated the key of robot ${rotated.name} (id ${rotated.id}); the previous key no longer works.`);
    print("Its new robot key, shown only this once (put it in the robot's config as \"key\"):");
    print(rotated.key);
  }));

  jsonOption(robots.command("rm").alias("revoke").description("revoke a robot's key: its sessions end, their jobs go back to Pending").argument("<name|id>", "the robot's name or id"))
    .action(action(async (nameOrId: string, opts: JsonOption) => {
      const client = connect();
      const robot = await findRobot(client, nameOrId);
      await client.robots.revoke(robot.id);
      if (opts.json) return printJson({ deleted: robot });
      print(`Revoked robot ${robot.name} (id ${robot.id}).`);
    }));
}

async function findRobot(client: BatonClient, nameOrId: string): Promise<RobotKey> {
  const all: RobotKey[] = [];
  for await (const r of client.robots.iterate()) all.push(r);
  return pick(all, nameOrId, "robot");
}

/** `all`, or the folders' names (keys when a name is not known), comma-separated. */
function folders(robot: RobotKey, names: Map<string, string>): string {
  return robot.folderKeys ? robot.folderKeys.map((k) => names.get(k) ?? k).join(", ") : "all";
}
