import { readFileSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import { ROLE_NAMES, type BatonClient, type RoleAssignment, type RoleAssignmentInput, type RoleName, type User } from "../../client/index.js";
import { findFolder } from "../args.js";
import { action, CliError, print, printJson, printTable, UsageError, when } from "../output.js";
import { connect, folderNames, jsonOption, type JsonOption } from "./common.js";

/** A `--role` as typed: a role name, and the folder (name or key) after `@` for a grant in one folder. */
interface RoleOption {
  role: RoleName;
  folder: string | null;
}

interface CreateOptions extends JsonOption {
  name: string;
  password?: string;
  passwordStdin?: boolean;
  role: RoleOption[];
}

interface UpdateOptions extends JsonOption {
  passwordStdin?: boolean;
  role?: RoleOption[];
  disable?: boolean;
  enable?: boolean;
}

const ROLE_HELP = `a role granted tenant-wide (${ROLE_NAMES.join(", ")}), or in one folder: "Automation Developer@<folder name or key>"; repeatable`;

/** `baton users ls|create|update|rm|roles`; passwords are read, sent, and never printed. */
export function registerUsers(program: Command): void {
  const users = program.command("users").description("users of the tenant and their roles: list, create, update (password, roles, disable), delete");

  jsonOption(users.command("ls").alias("list").description("the tenant's users, and the organization's (which cannot be changed here)"))
    .action(action(async (opts: JsonOption) => {
      const client = connect();
      const items: User[] = [];
      for await (const u of client.users.iterate()) items.push(u);
      if (opts.json) return printJson(items);
      const names = await folderNames(client);
      printTable(
        ["NAME", "ID", "ROLES", "STATUS", "CREATED"],
        items.map((u) => [u.name, u.id, roles(u, names), u.disabled ? "disabled" : "active", when(u.createdAt)]),
        "No users.",
      );
    }));

  jsonOption(
    users
      .command("create")
      .description("create a user of the tenant, with a password (for console logins) and roles")
      .requiredOption("--name <name>", "1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit")
      .option("--password <password>", "the password, 8 to 1024 characters (visible in the process list: prefer --password-stdin)")
      .option("--password-stdin", "read the password from stdin (its first line)")
      .option("-r, --role <role>", ROLE_HELP, collectRole, []),
  ).action(action(async (opts: CreateOptions) => {
    if (opts.password !== undefined && opts.passwordStdin) throw new UsageError("Give --password or --password-stdin, not both.");
    if (opts.password === undefined && !opts.passwordStdin) throw new UsageError("baton users create needs --password or --password-stdin.", "missing-password");
    const password = opts.passwordStdin ? readPassword() : opts.password!;
    const client = connect();
    const user = await client.users.create({ name: opts.name, password, roles: await roleInputs(client, opts.role) });
    if (opts.json) return printJson(user);
    print(`Created user ${user.name} (id ${user.id}), roles: ${roles(user, await folderNames(client))}.`);
  }));

  jsonOption(
    users
      .command("update")
      .description("change a user's password, replace its roles, or disable or enable it")
      .argument("<name|id>", "the user's name or id")
      .option("--password-stdin", "a new password, read from stdin (its first line); the user's console sessions end")
      .option("-r, --role <role>", `${ROLE_HELP}; replaces all the user's roles`, collectRole)
      .option("--disable", "the user can no longer log in, and its tokens are refused")
      .option("--enable", "enable a disabled user again"),
  ).action(action(async (nameOrId: string, opts: UpdateOptions) => {
    if (opts.disable && opts.enable) throw new UsageError("Give --disable or --enable, not both.");
    if (!opts.passwordStdin && opts.role === undefined && !opts.disable && !opts.enable) {
      throw new UsageError("Nothing to change: give --password-stdin, --role, --disable or --enable.", "nothing-to-change");
    }
    const password = opts.passwordStdin ? readPassword() : undefined;
    const client = connect();
    const found = await findUser(client, nameOrId);
    const user = await client.users.update(found.id, {
      ...(password !== undefined ? { password } : {}),
      ...(opts.role !== undefined ? { roles: await roleInputs(client, opts.role) } : {}),
      ...(opts.disable || opts.enable ? { disabled: Boolean(opts.disable) } : {}),
    });
    if (opts.json) return printJson(user);
    const changes = [
      ...(password !== undefined ? ["password changed"] : []),
      ...(opts.role !== undefined ? [`roles: ${roles(user, await folderNames(client))}`] : []),
      ...(opts.disable ? ["disabled"] : opts.enable ? ["enabled"] : []),
    ];
    print(`Updated user ${user.name} (id ${user.id}): ${changes.join(", ")}.`);
  }));

  jsonOption(users.command("rm").alias("delete").description("delete a user, with its tokens and console sessions").argument("<name|id>", "the user's name or id"))
    .action(action(async (nameOrId: string, opts: JsonOption) => {
      const client = connect();
      const user = await findUser(client, nameOrId);
      await client.users.delete(user.id);
      if (opts.json) return printJson({ deleted: user });
      print(`Deleted user ${user.name} (id ${user.id}).`);
    }));

  jsonOption(users.command("roles").description("the roles a user can be granted, and their permissions"))
    .action(action(async (opts: JsonOption) => {
      const { items } = await connect().users.roles();
      if (opts.json) return printJson(items);
      printTable(["ROLE", "PERMISSIONS"], items.map((r) => [r.name, r.permissions.join(", ")]), "No roles.");
    }));
}

/** `Viewer`, `automation developer@Billing`: the role's name (any case) and the folder after the first `@`. */
function collectRole(value: string, previous: RoleOption[] = []): RoleOption[] {
  const at = value.indexOf("@");
  const name = (at < 0 ? value : value.slice(0, at)).trim();
  const folder = at < 0 ? null : value.slice(at + 1).trim();
  const role = ROLE_NAMES.find((r) => r.toLowerCase() === name.toLowerCase());
  if (!role) throw new InvalidArgumentError(`Unknown role '${name}'; one of ${ROLE_NAMES.join(", ")}, optionally @<folder>.`);
  if (folder === "") throw new InvalidArgumentError(`'${value}': a folder's name or key must follow '@'.`);
  return [...previous, { role, folder }];
}

/** The grants to send: folders given by name or key become keys. */
async function roleInputs(client: BatonClient, options: RoleOption[]): Promise<RoleAssignmentInput[]> {
  const out: RoleAssignmentInput[] = [];
  for (const { role, folder } of options) out.push({ role, folderKey: folder === null ? null : (await findFolder(client, folder)).key });
  return out;
}

/** The password on stdin: its first line, without the line end. */
function readPassword(): string {
  let text: string;
  try {
    text = readFileSync(0, "utf8");
  } catch (err) {
    throw new UsageError(`--password-stdin: cannot read stdin: ${(err as Error).message}`);
  }
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password === "") throw new UsageError("--password-stdin: stdin holds no password.", "missing-password");
  return password;
}

/** The user with this id, else this name (exact, then in any case). */
async function findUser(client: BatonClient, nameOrId: string): Promise<User> {
  const all: User[] = [];
  for await (const u of client.users.iterate()) all.push(u);
  const user = all.find((u) => u.id === nameOrId) ?? all.find((u) => u.name === nameOrId) ?? all.find((u) => u.name.toLowerCase() === nameOrId.toLowerCase());
  if (!user) throw new CliError("user-not-found", `No user has the name or id '${nameOrId}'; baton users ls lists them.`);
  return user;
}

/** `Viewer, Automation Developer@Billing`; `organization administrator` for one; `-` for none. */
function roles(user: User, folders: Map<string, string>): string {
  const grants = user.roles.map((r: RoleAssignment) => (r.folderKey === null ? r.role : `${r.role}@${folders.get(r.folderKey) ?? r.folderKey}`));
  if (user.orgAdmin) grants.unshift("organization administrator");
  return grants.length ? grants.join(", ") : "-";
}
