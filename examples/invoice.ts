/**
 * Process Invoice as a TypeScript module: `async (input, ctx) => output`. `ctx.log` writes
 * job logs, `ctx.signal` is aborted on SoftStop or Kill, `ctx.job` describes the job.
 * A throw faults the job (an error's `code` becomes the job error's code).
 */
interface Ctx {
  job: { key: string; attempt: number };
  signal: AbortSignal;
  log(message: string, level?: "info" | "error"): void;
}

export default async function invoice(input: { amount?: number; currency?: string }, ctx: Ctx) {
  if (typeof input.amount !== "number" || input.amount <= 0) {
    throw Object.assign(new Error("amount must be a positive number"), { code: "InvalidAmount" });
  }
  ctx.log(`booking ${input.amount} ${input.currency ?? "EUR"} (attempt ${ctx.job.attempt})`);
  await new Promise((resolve) => setTimeout(resolve, 10));
  if (ctx.signal.aborted) throw new Error("stopped");
  return { invoiceNumber: `INV-${ctx.job.key.slice(0, 8)}`, total: Math.round(input.amount * 1.2 * 100) / 100 };
}
