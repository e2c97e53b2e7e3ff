import type { Command } from "commander";
import type { BatonClient, RobotKey, RobotSession } from "../../client/index.js";
import { paginate } from "../../client/pagination.js";
import { collect, findFolder, pick } from "../args.js";
import { action, print, printJson, printTable, when } from "../output.js";
import { connect, folderNames, jsonOption, type JsonOption } from "./common.js";

/** `baton robots ls|create|rotate|rm` */
export function registerRobots(program: Command): void {
  const robots = program.command("robots").description("robots and their robot keys: list, create and rotate (print the key once), revoke");

  jsonOption(robots.command("ls").alias("list").description("the tenant's robots, revoked ones included, with their live sessions (the in-process robot's too)"))
    .action(action(async (opts: JsonOption) => {
      const client = connect();
      const items: RobotKey[] = [];
      for await (const r of client.robots.iterate()) items.push(r);
      // A robot key is listed whether a robot runs with it or not; the in-process robot of
      // `baton start` (and `serve --demo`) has no key, so it shows only as live sessions.
      const sessions: RobotSession[] = [];
      for await (const s of paginate((cursor) => client.robots.sessions({ cursor }))) sessions.push(s);
      const rows = listed(items, sessions);
      if (opts.json) return printJson(rows);
      const names = items.some((r) => r.folderKeys) ? await folderNames(client) : new Map<string, string>();
      printTable(
        ["NAME", "ID", "FOLDERS", "SESSIONS", "CREATED", "ROTATED", "REVOKED"],
        rows.map((r) => [r.name, r.id ?? "in-process", folders(r, names), r.liveSessions.length, when(r.createdAt), when(r.rotatedAt), when(r.revokedAt)]),
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
function folders(robot: Pick<RobotKey, "folderKeys">, names: Map<string, string>): string {
  return robot.folderKeys ? robot.folderKeys.map((k) => names.get(k) ?? k).join(", ") : "all";
}

/** A robot as `robots ls` shows it: a robot key with its live sessions, or a robot without a key (in-process) and its sessions. */
type ListedRobot = Omit<RobotKey, "id"> & { id: string | null; liveSessions: RobotSession[] };

function listed(keys: RobotKey[], sessions: RobotSession[]): ListedRobot[] {
  const rows: ListedRobot[] = keys.map((k) => ({ ...k, liveSessions: sessions.filter((s) => s.robotKeyId === k.id) }));
  const keyless = new Map<string, RobotSession[]>();
  for (const s of sessions) if (s.robotKeyId === null) keyless.set(s.robotName, [...(keyless.get(s.robotName) ?? []), s]);
  for (const [name, own] of keyless) {
    const createdAt = own.map((s) => s.createdAt).sort()[0]!;
    rows.push({ id: null, name, createdAt, rotatedAt: null, folderKeys: null, revokedAt: null, liveSessions: own });
  }
  return rows;
}
