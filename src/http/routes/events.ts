import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { foldersWith, requirePermission } from "../../core/permissionChecks.js";
import type { NotifierEvents } from "../../core/notifier.js";
import { principal, type HttpContext } from "../context.js";

/** at most one `jobs` event per this many ms on one stream */
const COALESCE_MS = 250;
const KEEPALIVE_MS = 15_000;

/**
 * `GET …/api/v1/events`: Server-Sent Events for the console's live views. An `event: jobs`
 * says that jobs of the tenant were created, started, asked to stop, logged or ended; the
 * console then reads what it shows through the API, with the caller's own permissions, so
 * the stream itself carries nothing but the time. Driven by the notifier (every node's
 * changes arrive, on PostgreSQL through LISTEN/NOTIFY), never by polling.
 */
export function eventRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const kinds: (keyof NotifierEvents)[] = ["jobAvailable", "jobFinished", "stopRequested", "jobsChanged"];

  app.withTypeProvider<TypeBoxTypeProvider>().get("/api/v1/events", {
    schema: {
      operationId: "streamEvents", tags: ["Console"], summary: "Live job events (Server-Sent Events)",
      description: "A `text/event-stream` that stays open: `event: jobs` with `data: {\"at\": \"<ISO 8601 time>\"}` whenever jobs of the tenant were created, claimed, asked to stop, logged or ended " +
        "(on any node; at most one event every 250 ms), a `: keepalive` comment every 15 s, and `retry: 2000` first. The event carries nothing but the time: read what changed " +
        "through the API, with your own permissions. The stream ends when the node shuts down; reconnect (EventSource does so by itself).",
      // written to the socket as events happen (the reply is hijacked): nothing is serialized through the schema
      response: {
        200: {
          description: "The event stream.",
          content: {
            "text/event-stream": {
              schema: Type.String({ description: "Server-Sent Events: `event: jobs` / `data: {\"at\":\"…\"}` blocks, keepalive comments." }),
              example: "retry: 2000\n: connected\n\nevent: jobs\ndata: {\"at\":\"2025-05-01T10:00:00.000Z\"}\n\n",
            },
          },
        },
      },
    },
    config: { access: { scope: ["Jobs", "Any"], permission: "Jobs.View", checkedBy: "handler", permissionNote: "`Jobs.View`, tenant-wide or in at least one folder." } },
  }, async (request, reply) => {
    const who = await principal(ctx, request);
    const visible = foldersWith(who, "Jobs.View");
    if (visible !== null && visible.length === 0) requirePermission(who, "Jobs.View");
    const tenantId = request.tenant.id;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n: connected\n\n");

    let pending: NodeJS.Timeout | null = null;
    const send = () => {
      pending = null;
      res.write(`event: jobs\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
    };
    const changed = () => { pending ??= setTimeout(send, COALESCE_MS); };
    const unsubscribe = [
      ...kinds.map((kind) => ctx.baton.notifier.subscribe(kind, (e: { tenantId: string }) => { if (e.tenantId === tenantId) changed(); })),
      ctx.baton.notifier.onMissedEvents(changed),
    ];
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
    const end = () => {
      clearInterval(keepalive);
      if (pending) clearTimeout(pending);
      for (const u of unsubscribe) u();
      ctx.shutdownSignal.removeEventListener("abort", end);
      if (!res.writableEnded) res.end();
    };
    ctx.shutdownSignal.addEventListener("abort", end, { once: true });
    if (ctx.shutdownSignal.aborted) end();
    res.on("close", end);
  });
}
