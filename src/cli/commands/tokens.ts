import { InvalidArgumentError, type Command } from "commander";
import { SCOPES, type PersonalAccessToken, type Scope } from "../../client/index.js";
import { pick } from "../args.js";
import { action, print, printJson, printTable, when } from "../output.js";
import { connect, jsonOption, type JsonOption } from "./common.js";

/** `baton tokens ls|create|rm` */
export function registerTokens(program: Command): void {
  const tokens = program.command("tokens").description("personal access tokens: list, create (prints the token once), revoke");

  jsonOption(tokens.command("ls").alias("list").description("the tokens, revoked and expired ones included"))
    .action(action(async (opts: JsonOption) => {
      const items: PersonalAccessToken[] = [];
      for await (const t of connect().tokens.iterate()) items.push(t);
      if (opts.json) return printJson(items);
      printTable(
        ["NAME", "ID", "SCOPES", "STATUS", "CREATED", "EXPIRES", "LAST USED"],
        items.map((t) => [t.name, t.id, t.scopes.join(","), status(t), when(t.createdAt), when(t.expiresAt), when(t.lastUsedAt)]),
        "No tokens.",
      );
    }));

  jsonOption(
    tokens
      .command("create")
      .description("create a personal access token; the token is printed this once")
      .argument("<name>", "what the token is for")
      .requiredOption("-s, --scope <scopes>", `scopes, comma-separated or repeated: ${SCOPES.join(", ")}`, collectScopes, [])
      .option("--expires <when>", "an ISO date or time, or a duration from now: 30d, 12h, 45m (default: never)", expiry),
  ).action(action(async (name: string, opts: JsonOption & { scope: Scope[]; expires?: string }) => {
    const token = await connect().tokens.create({ name, scopes: opts.scope, ...(opts.expires ? { expiresAt: opts.expires } : {}) });
    if (opts.json) return printJson(token);
    print(`Created token ${token.name} (id ${token.id}), scopes ${token.scopes.join(", ")}${token.expiresAt ? `, expires ${when(token.expiresAt)}` : ""}.`);
    print("The token, shown only this once:");
    print(token.token);
  }));

  jsonOption(tokens.command("rm").alias("revoke").description("revoke a token").argument("<name|id>", "the token's name or id"))
    .action(action(async (nameOrId: string, opts: JsonOption) => {
      const client = connect();
      const all: PersonalAccessToken[] = [];
      for await (const t of client.tokens.iterate()) all.push(t);
      const token = pick(all, nameOrId, "token");
      await client.tokens.revoke(token.id);
      if (opts.json) return printJson({ deleted: token });
      print(`Revoked token ${token.name} (id ${token.id}).`);
    }));
}

function status(t: PersonalAccessToken): string {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && Date.parse(t.expiresAt) <= Date.now()) return "expired";
  return "active";
}

function collectScopes(value: string, previous: Scope[] = []): Scope[] {
  const scopes = value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    const scope = SCOPES.find((known) => known.toLowerCase() === s.toLowerCase());
    if (!scope) throw new InvalidArgumentError(`Unknown scope '${s}'; one of ${SCOPES.join(", ")}.`);
    return scope;
  });
  return [...previous, ...scopes];
}

/** `30d`, `12h`, `45m` from now, or a date the API takes as it is. */
function expiry(value: string): string {
  const m = /^(\d+)\s*([dhm])$/i.exec(value.trim());
  if (m) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2]!.toLowerCase() as "d" | "h" | "m"];
    return new Date(Date.now() + Number(m[1]) * unit).toISOString();
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new InvalidArgumentError("Expected an ISO date or time (2030-01-31, 2030-01-31T12:00:00Z) or a duration (30d, 12h, 45m).");
  return new Date(at).toISOString();
}
