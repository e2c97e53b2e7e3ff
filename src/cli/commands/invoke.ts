import { Option, type Command } from "commander";
import { VERBS, type Verb } from "../../client/index.js";
import { collect, MODES, parseArguments, seconds, type Mode } from "../args.js";
import { action, UsageError } from "../output.js";
import { connect, followResult, interruptSignal, jsonOption, type JsonOption } from "./common.js";

interface InvokeOptions extends JsonOption {
  arg?: string[];
  jsonArgs?: string;
  mode?: Mode;
  method?: Verb;
  timeout?: number;
  idempotencyKey?: string;
}

/** `baton invoke <slug|invoke URL> -a key=value … --mode async|fire|sync` */
export function registerInvoke(program: Command): void {
  jsonOption(
    program
      .command("invoke")
      .description("invoke an API trigger and print the job's output JSON on stdout (exit 0 Successful, 1 Faulted, 2 Stopped)")
      .argument("<trigger>", "the trigger's slug, or its full invoke URL")
      .option("-a, --arg <key=value>", "an input argument; the value is JSON if it parses as a number, boolean, array or object, else a string (repeatable)", collect, [])
      .option("--json-args <json>", "input arguments as a JSON object, @file or @- (stdin); -a overrides its keys")
      .addOption(new Option("-m, --mode <mode>", "call mode: async (AsyncRequestReply), fire (FireAndForget), sync (LongPolling); default: the trigger's").choices(Object.keys(MODES)))
      .addOption(new Option("-X, --method <verb>", "the verb of an invoke URL (by default POST, and the Allow header's on 405)").choices(VERBS))
      .option("--timeout <seconds>", "give up waiting after this long (the job goes on); default 16 minutes", seconds)
      .option("--idempotency-key <key>", "the invocation's Idempotency-Key (1-255 printable ASCII): a repeat with the same key starts no second job; default: a new one per call"),
  ).action(action(async (trigger: string, opts: InvokeOptions) => {
    const args = parseArguments(opts.arg, opts.jsonArgs);
    if (opts.idempotencyKey !== undefined && !/^[\x20-\x7E]{1,255}$/.test(opts.idempotencyKey)) {
      throw new UsageError("--idempotency-key takes 1 to 255 printable ASCII characters.");
    }
    const client = connect(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {});
    const signal = interruptSignal();
    return followResult(opts.json, (onState) => client.invoke(trigger, args, {
      ...(opts.mode ? { callMode: MODES[opts.mode] } : {}),
      ...(opts.method ? { method: opts.method } : {}),
      ...(opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey }),
      signal,
      onState,
    }), opts.mode === "sync" ? "Waiting (LongPolling)" : "Invoking");
  }));
}
