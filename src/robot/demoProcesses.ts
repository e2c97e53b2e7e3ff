import type { ProcessHandler } from "./RobotRuntime.js";

/**
 * The demo processes of `npm start` (SPEC §7): Echo returns its input, Sleep waits
 * `seconds` and honours stop, Fail faults with `message`.
 */
export const demoProcesses: Record<string, ProcessHandler> = {
  Echo: (input) => input,

  Sleep: (input, ctx) => {
    const seconds = typeof input.seconds === "number" && input.seconds >= 0 ? input.seconds : 1;
    return new Promise((resolve, reject) => {
      if (ctx.signal.aborted) return reject(new Error("stopped"));
      const timer = setTimeout(() => resolve({ sleptSeconds: seconds }), seconds * 1000);
      ctx.signal.addEventListener("abort", () => { clearTimeout(timer); reject(new Error("stopped")); }, { once: true });
    });
  },

  Fail: (input, ctx) => {
    const message = typeof input.message === "string" ? input.message : "The Fail demo process failed, as asked.";
    ctx.log(message, "error");
    throw Object.assign(new Error(message), { code: "DemoFailure" });
  },
};

/** The processes and triggers `npm start` creates in folder Shared, if they are missing. */
export const demoCatalog = {
  processes: [
    { name: "Echo", description: "Returns its input arguments as output arguments." },
    {
      name: "Sleep",
      description: "Waits `seconds` (default 1), then succeeds; honours SoftStop and Kill.",
      defaultInputArguments: { seconds: 1 },
      inputSchema: { type: "object", properties: { seconds: { type: "number", minimum: 0, maximum: 86400 } } },
    },
    { name: "Fail", description: "Faults with code DemoFailure and the given `message`." },
  ],
  triggers: [
    { name: "Echo", slug: "echo", verb: "POST", processName: "Echo", callMode: "AsyncRequestReply" },
    { name: "Sleep", slug: "sleep", verb: "POST", processName: "Sleep", callMode: "AsyncRequestReply" },
    { name: "Fail", slug: "fail", verb: "POST", processName: "Fail", callMode: "AsyncRequestReply" },
  ],
} as const;
