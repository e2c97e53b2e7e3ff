import type { Command } from "commander";
import type { Folder } from "../../client/index.js";
import { findFolder } from "../args.js";
import { action, print, printJson, printTable, when } from "../output.js";
import { connect, jsonOption, type JsonOption } from "./common.js";

/** `baton folders ls|create|rm` */
export function registerFolders(program: Command): void {
  const folders = program.command("folders").description("folders (they hold processes, triggers and jobs): list, create, remove");

  jsonOption(folders.command("ls").alias("list").description("the tenant's folders"))
    .action(action(async (opts: JsonOption) => {
      const items: Folder[] = [];
      for await (const f of connect().folders.iterate()) items.push(f);
      if (opts.json) return printJson(items);
      printTable(["NAME", "KEY", "CREATED"], items.map((f) => [f.name, f.key, when(f.createdAt)]), "No folders.");
    }));

  jsonOption(folders.command("create").description("create a folder").argument("<name>", "the folder's name"))
    .action(action(async (name: string, opts: JsonOption) => {
      const folder = await connect().folders.create(name);
      if (opts.json) return printJson(folder);
      print(`Created folder ${folder.name} (key ${folder.key}).`);
    }));

  jsonOption(folders.command("rm").alias("delete").description("remove an empty folder (Shared stays)").argument("<name|key>", "the folder's name or key"))
    .action(action(async (nameOrKey: string, opts: JsonOption) => {
      const client = connect();
      const folder = await findFolder(client, nameOrKey);
      await client.folders.delete(folder.key);
      if (opts.json) return printJson({ deleted: folder });
      print(`Removed folder ${folder.name}.`);
    }));
}
