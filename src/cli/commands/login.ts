import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { BatonApiError, BatonClient, tenantUrl } from "../../client/index.js";
import { configFile, readStoredLogin, removeStoredLogin, writeStoredLogin } from "../config.js";
import { action, CliError, note, print, printJson, UsageError } from "../output.js";
import { jsonOption, type JsonOption } from "./common.js";

interface LoginOptions extends JsonOption {
  url?: string;
  token?: string;
  tokenStdin?: boolean;
}

/** `baton login` and `baton logout` */
export function registerLogin(program: Command): void {
  jsonOption(
    program
      .command("login")
      .description("store the URL and token the other commands use (BATON_URL and BATON_TOKEN override them); checks them first")
      .option("--url <url>", "the tenant's base, e.g. http://127.0.0.1:8080/default/DefaultTenant (default: BATON_URL, else asked)")
      .option("--token <token>", "a personal access token (default: BATON_TOKEN, else asked without echo)")
      .option("--token-stdin", "read the token from stdin (keeps it out of the shell history and the process list)"),
  ).action(action(async (opts: LoginOptions) => {
    const stored = safeStored();
    const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY) && !opts.tokenStdin;
    let url = opts.url ?? process.env.BATON_URL;
    let token = opts.token ?? (opts.tokenStdin ? readFileSync(0, "utf8").trim() : process.env.BATON_TOKEN);
    if (!url && !interactive) throw new UsageError("baton login needs --url (or BATON_URL) when it cannot ask: stdin is not a terminal.", "missing-url");
    if (!token && !interactive) throw new UsageError("baton login needs --token, --token-stdin or BATON_TOKEN when it cannot ask: stdin is not a terminal.", "missing-token");
    if (!url || !token) {
      const prompter = new Prompter();
      try {
        if (!url) url = (await prompter.line(`Baton URL (a tenant's base)${stored ? ` [${stored.url}]` : ""}: `)) || stored?.url;
        if (!token) token = await prompter.line("Token (not shown): ", { secret: true });
      } finally {
        prompter.close();
      }
      if (!url) throw new UsageError("No URL given.", "missing-url");
      if (!token) throw new UsageError("No token given.", "missing-token");
    }
    let normalized: string;
    try {
      normalized = tenantUrl(url.trim());
    } catch (err) {
      throw new UsageError((err as Error).message, "invalid-url");
    }
    token = token.trim();

    // one call to check both: a 403 means the token is good but may not read folders
    let limited = false;
    try {
      await new BatonClient({ url: normalized, token }).folders.list();
    } catch (err) {
      if (!(err instanceof BatonApiError && err.status === 403)) throw err;
      limited = true;
    }
    const file = writeStoredLogin({ url: normalized, token });
    if (opts.json) return printJson({ url: normalized, configFile: file });
    print(`Logged in to ${normalized}; the login is stored in ${file}.`);
    if (limited) note("The token works, but it may not list folders: some commands will answer insufficient-scope.");
    if (process.env.BATON_URL || process.env.BATON_TOKEN) note("BATON_URL and BATON_TOKEN are set in this shell: they override the stored login.");
  }));

  jsonOption(program.command("logout").description("remove the stored login"))
    .action(action(async (opts: JsonOption) => {
      const file = configFile();
      const removed = removeStoredLogin();
      if (opts.json) return printJson({ removed, configFile: file });
      print(removed ? `Logged out: removed ${file}.` : `Not logged in (no ${file}).`);
    }));
}

/** The stored login, or null when there is none or it is unreadable (login replaces it). */
function safeStored() {
  try {
    return readStoredLogin();
  } catch (err) {
    if (err instanceof CliError) return null;
    throw err;
  }
}

/**
 * Questions on the terminal, in raw mode from the first to the last, so that lines typed (or
 * pasted) ahead are kept for the next question; a secret is not echoed. Ctrl-C aborts (130).
 */
class Prompter {
  private buffer = "";
  private waiting: (() => void) | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.buffer += chunk.toString("utf8");
    this.waiting?.();
  };

  constructor() {
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.on("data", this.onData);
  }

  async line(question: string, options: { secret?: boolean } = {}): Promise<string> {
    const out = process.stderr;
    out.write(question);
    let value = "";
    for (;;) {
      while (this.buffer.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
      const chars = [...this.buffer];
      this.buffer = "";
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        if (ch === "\r" || ch === "\n") {
          // a CRLF pair is one end of line; the rest is kept for the next question
          this.buffer = chars.slice(i + 1 + (ch === "\r" && chars[i + 1] === "\n" ? 1 : 0)).join("");
          out.write("\n");
          return value.trim();
        }
        if (ch === "\u0003") {
          out.write("\n");
          throw new CliError("aborted", "Login aborted.", 130);
        }
        if (ch === "\u007f" || ch === "\b") {
          if (value.length && !options.secret) out.write("\b \b");
          value = value.slice(0, -1);
        } else if (ch >= " ") {
          value += ch;
          if (!options.secret) out.write(ch);
        }
      }
    }
  }

  close(): void {
    process.stdin.off("data", this.onData);
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }
}
