import Fastify, { LogController, type FastifyContextConfig, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { randomUUID } from "node:crypto";
import type { Baton } from "../core/Baton.js";
import type { ErrorCode } from "../core/errorCodes.js";
import { asStoreUnavailable, badRequest, BatonError, isStatementTimeout, MethodNotAllowed, notFound } from "../core/errors.js";
import { JSON_CONTENT_TYPE, parseJsonBody, unsupportedEncoding } from "./bodies.js";
import { prefersHtml } from "./negotiation.js";
import { RouteMethods } from "./routeMethods.js";
import { authenticateBeforeBody, type HttpConfig, type HttpContext } from "./context.js";
import { humanLogStream, type LogFormat } from "./humanLog.js";
import { Metrics } from "./metrics.js";
import { PROBLEM_TYPE, problemBody, sendProblem, toBatonError } from "./problem.js";
import { apiReferenceRoutes } from "./routes/apiReference.js";
import { auditRoutes } from "./routes/audit.js";
import { consoleRoutes } from "./routes/console.js";
import { folderRoutes } from "./routes/folders.js";
import { invocationRoutes } from "./routes/invocation.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { managementRoutes } from "./routes/management.js";
import { triggerRoutes } from "./routes/triggers.js";
import { processRoutes } from "./routes/processes.js";
import { settingsRoutes } from "./routes/settings.js";
import { timeTriggerRoutes } from "./routes/timeTriggers.js";
import { openApiDocumentRoutes } from "./routes/openapiDocument.js";
import { operationsRoutes } from "./routes/operations.js";
import { organizationRoutes } from "./routes/organization.js";
import { eventRoutes } from "./routes/events.js";
import { robotProtocolRoutes } from "./routes/robotProtocol.js";
import { robotRoutes } from "./routes/robots.js";
import { sessionRoutes } from "./routes/session.js";
import { tokenRoutes } from "./routes/tokens.js";
import { userRoutes } from "./routes/users.js";
import { corsHeaders, tenantScope } from "./tenantScope.js";
import { checkOrigin, tenantBase } from "./urls.js";
import { accessHook } from "./routeContract.js";
import { registerOpenApiGenerator } from "./openapiRoutes.js";
import { validatorCompiler } from "./validation.js";

/** BATON_REQUEST_TIMEOUT_SECONDS by default: a whole request, headers and body, must arrive within it */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;
/** the request line and headers must arrive within this (or the request timeout, when shorter) */
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

declare module "fastify" {
  interface FastifyContextConfig {
    /** the route takes a query parameter given more than once (as an array); others answer 400 invalid-query */
    repeatedQueryParameters?: boolean;
  }
}

export interface ServerOptions {
  baton: Baton;
  config?: Partial<HttpConfig>;
  /**
   * pino JSON lines on stdout, or on `stream` (tests read them there); with `format: "human"`,
   * one short line per request and per event instead (humanLog.ts), on the same stream
   */
  logger?: boolean | { level: string; format?: LogFormat; stream?: { write(line: string): void } };
  /**
   * Requests wait until `open()` is called: startBaton listens before it creates the first
   * start's credentials (a port in use then fails before any exists), and finishes starting
   * while the socket is open.
   */
  holdRequests?: boolean;
}

export interface BatonServer {
  app: FastifyInstance;
  /** every route registered (filled as Fastify registers them; complete once the app is ready): the OpenAPI drift test reads it */
  routes: { method: string; url: string; config?: FastifyContextConfig }[];
  /** Graceful shutdown, step one: LongPolling waiters answer 303 at once, new ones too. */
  beginShutdown(): void;
  /** With `holdRequests`: the node is ready, the requests that came meanwhile go on. */
  open(): void;
}

/** The one server assembly: routes grouped by audience, one error mapper, auth per route. */
export function buildServer(options: ServerOptions): BatonServer {
  const config: HttpConfig = {
    publicUrl: null, trustProxy: false, hardBodyLimit: 64 * 1024 * 1024, metricsToken: null, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_SECONDS * 1000, homeTenant: null,
    ...options.config,
  };
  let shuttingDown = false;
  const shutdown = new AbortController();
  const metrics = new Metrics(options.baton);
  const ctx: HttpContext = { baton: options.baton, config, shuttingDown: () => shuttingDown, shutdownSignal: shutdown.signal, metrics };

  const human = typeof options.logger === "object" && options.logger.format === "human";
  const app = Fastify({
    logger: options.logger === undefined ? false : options.logger === true ? { level: "info" } : options.logger === false ? false : {
      level: options.logger.level,
      ...(human ? { stream: humanLogStream(options.logger.stream) } : options.logger.stream ? { stream: options.logger.stream } : {}),
      serializers: {
        // signed wait URIs carry a signature in the query, and a careless client may put a
        // credential there: keep them out of logs (headers, Authorization and Cookie, are not logged)
        req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
      },
    },
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    // for people, one line per request instead of Fastify's two
    ...(human ? { logController: new OneLinePerRequest() } : {}),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: "idle",
    // our own onRequest hook answers 503 while closing, with Retry-After and a problem body
    return503OnClosing: false,
    // idle keep-alive connections: longer than the idle timeouts of common load balancers
    // (60 s), so that the balancer, not this server, closes them and never reuses a closed one
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // the whole request (headers and body) must arrive within requestTimeoutMs, the headers
    // within headersTimeout: a client trickling bytes gets 408 and its connection closed. What
    // happens after the body is read (a LongPolling or robot claim wait) is not counted.
    requestTimeout: config.requestTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs),
      // how often Node looks for connections past those timeouts (30 s by default)
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs / 2),
    },
    // slugs and names are up to 128 characters; percent-encoded, a name can be ~12 bytes a character
    routerOptions: { maxParamLength: 2048 },
    // routing errors (a malformed %-escape, an over-long parameter) are problem+json too (SPEC §4)
    // (a statement: fastify ignores what this returns, and the reply is thenable)
    frameworkErrors: (err, request, reply) => { sendProblem(request, reply, err); },
    // errors Node's HTTP parser raises before there is a request (headers too large, malformed request)
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === "ECONNRESET" || socket.destroyed) return;
      // an answer already began on this connection (the request timed out while its unread body
      // trickled in after a 401, say): no second answer on it, just the close
      if ((socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
        socket.destroy(err);
        return;
      }
      const [status, code, title, detail]: [number, ErrorCode, string, string] = err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "headers-too-large", "Request Header Fields Too Large", "The request line and headers exceed the server's limit; send long arguments in a body."]
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? [408, "request-timeout", "Request Timeout", "The request was not received in time."]
          : [400, "malformed-request", "Bad Request", "The HTTP request could not be parsed."];
      const body = JSON.stringify({ type: PROBLEM_TYPE, title, status, detail, code });
      if (socket.writable) socket.write(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      socket.destroy(err);
    },
  });

  // routes' schemas: every fault of a request, one 400 (validation.ts, problem.ts)
  app.setValidatorCompiler(validatorCompiler);
  // the document's operations, from the routes' schemas and config (before the routes: it collects them)
  registerOpenApiGenerator(app);

  const routes: BatonServer["routes"] = [];
  const routeMethods = new RouteMethods();
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, config: route.config });
      routeMethods.add(method, route.url);
    }
  });

  let open: () => void = () => {};
  const opened = options.holdRequests ? new Promise<void>((resolve) => { open = resolve; }) : null;
  let isOpen = !options.holdRequests;
  app.addHook("onRequest", async (request, reply) => {
    if (!isOpen) await opened;
    reply.header("x-request-id", request.id);
    if (shuttingDown) {
      throw new BatonError(503, "shutting-down", "Service Unavailable", "This node is shutting down; retry, and you will reach another node or this one restarted.", {
        headers: { "retry-after": "1" },
      });
    }
    // Locations and invoke URLs are built from the Host header: a malformed one is refused
    // before anything is done, not reflected in an answer
    checkOrigin(request, config);
  });
  // A query parameter given twice reaches a route as an array (Fastify's query parser): no
  // route expects one but an invocation's, where a repeated argument is an array argument.
  app.addHook("onRequest", async (request) => {
    if (request.is404 || request.routeOptions.config.repeatedQueryParameters) return;
    const repeated = Object.entries(request.query as Record<string, unknown>).filter(([, v]) => Array.isArray(v)).map(([k]) => k);
    if (repeated.length) {
      const violations = repeated.map((k) => ({ path: `/${k}`, message: "is given more than once; give it once (a list such as state takes comma-separated values)" }));
      throw badRequest("invalid-query", `Query parameter${repeated.length > 1 ? "s" : ""} given more than once: ${repeated.join(", ")}.`, { violations });
    }
  });
  // Nothing leaves this node before it is on disk: an answer made while writes wait for
  // their commit (SQLite's group commit of one turn of the event loop, SqliteExecutor) is
  // sent once they are committed; if they could not be, none of them was kept and the answer
  // becomes 503 store-unavailable. PostgreSQL has committed every statement already (null).
  app.addHook("onSend", (request, reply, payload, done) => {
    const durable = ctx.baton.store.durable();
    if (durable === null) {
      done(null, payload);
      return;
    }
    durable.then(() => done(null, payload), (cause: unknown) => {
      const err = asStoreUnavailable(cause);
      request.log.error({ err: cause, code: err.code }, "the answer's writes could not be committed");
      for (const name of Object.keys(reply.getHeaders())) if (name !== "x-request-id") reply.removeHeader(name);
      // the Content-Type of every other problem answer (sendProblem's, which Fastify completes with the charset)
      reply.code(err.status).headers(err.headers).type("application/problem+json; charset=utf-8");
      done(null, JSON.stringify(problemBody(err, request.url.split("?")[0])));
    });
  });
  // While shutting down, answers in flight (the LongPolling 303s above all) close their
  // connection: a keep-alive socket left idle after close() began would hold the process
  // up until keepAliveTimeout, and the caller should resume on another node anyway.
  app.addHook("onSend", async (_request, reply, payload) => {
    if (shuttingDown) reply.header("connection", "close");
    return payload;
  });

  // a body is read only from a caller the route accepts: 401 at once, before reading it
  app.addHook("preParsing", async (request) => authenticateBeforeBody(ctx, request));
  // A body in a Content-Encoding Baton does not decode (gzip, br…): 415 before it is read, on
  // every route (the invocation's and the robot protocol's included).
  app.addHook("preParsing", async (request) => {
    const refused = unsupportedEncoding(request.headers);
    if (refused) throw refused;
  });
  // an answer given before the request's body was all received (a 401 above, a 413) closes
  // the connection rather than reading (or waiting for) the rest; so does every 413
  app.addHook("onSend", async (request, reply, payload) => {
    if (reply.statusCode === 413 || !request.raw.complete) reply.header("connection", "close");
    return payload;
  });

  // JSON bodies of the management API: an empty body is "no body"; a UTF-8 BOM is dropped;
  // invalid JSON is 400 invalid-json. Fastify's text/plain parser goes: a body that is not
  // JSON (text/plain included) is 415 unsupported-media-type, not a string the route's
  // validation refuses with 400.
  app.removeContentTypeParser("application/json");
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(String(body)));
    } catch (err) {
      done(err as Error);
    }
  });

  app.setErrorHandler((err, request, reply) => {
    // robots' heartbeats fail too while the store is unreachable: no lease expires for a while
    // after. One slow statement (statement_timeout) is no outage: it must not hold expiry back.
    if (toBatonError(err).code === "store-unavailable" && !isStatementTimeout(err)) options.baton.maintenance.noteStoreUnavailable();
    return sendProblem(request, reply, err);
  });
  // A request no route matched: a known path called with a method it lacks is 405 with
  // Allow; a browser asking for the server's root or a tenant's base is sent to the console;
  // anything else is 404 route-not-found.
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0]!;
    // under a tenant, its CORS headers, as on every answer there (tenantScope)
    const under = /^\/([^/]+)\/([^/]+)\/orchestrator_(\/|$)/.exec(path);
    if (under) {
      const tenant = await options.baton.tenancy.tenantOrThrow(decode(under[1]!), decode(under[2]!)).catch(() => null);
      const settings = tenant ? await options.baton.tenancy.getSettings(tenant.id).catch(() => null) : null;
      if (settings) corsHeaders(request, reply, settings);
    }
    const allow = routeMethods.allowed(path);
    if (allow && !allow.includes(request.method)) {
      return sendProblem(request, reply, MethodNotAllowed(allow.join(", "), `${request.method} is not a method of ${path}; it answers ${allow.join(", ")}.`));
    }
    const page = await consoleFor(request, path);
    if (page) return reply.code(303).header("location", page).send();
    return sendProblem(request, reply, notFound("route-not-found", `No route for ${request.method} ${path}.`));
  });

  /**
   * The console's URL for a browser (Accept prefers text/html) that GETs `/` (the home
   * tenant's console, when the server has one) or a tenant's base `/{org}/{tenant}`; null
   * for API clients, other methods and paths, and tenants that do not exist.
   */
  async function consoleFor(request: FastifyRequest, path: string): Promise<string | null> {
    if ((request.method !== "GET" && request.method !== "HEAD") || !prefersHtml(request.headers.accept)) return null;
    let org: string, name: string;
    if (path === "/") {
      if (!config.homeTenant) return null;
      ({ org, tenant: name } = config.homeTenant);
    } else {
      const m = /^\/([^/]+)\/([^/]+)\/?$/.exec(path);
      if (!m) return null;
      [org, name] = [decode(m[1]!), decode(m[2]!)];
    }
    const tenant = await options.baton.tenancy.tenantOrThrow(org, name).catch(() => null);
    return tenant ? `${tenantBase(request, config, tenant)}/` : null;
  }

  // /healthz, /readyz, /metrics
  operationsRoutes(app, ctx);
  app.addHook("onClose", async () => metrics.close());

  app.register(async (tenantApp) => {
    tenantScope(tenantApp, ctx);
    accessHook(tenantApp, ctx);
    openApiDocumentRoutes(tenantApp, ctx);
    apiReferenceRoutes(tenantApp, ctx);
    invocationRoutes(tenantApp, ctx);
    folderRoutes(tenantApp, ctx);
    processRoutes(tenantApp, ctx);
    triggerRoutes(tenantApp, ctx);
    managementRoutes(tenantApp, ctx);
    settingsRoutes(tenantApp, ctx);
    webhookRoutes(tenantApp, ctx); // webhooks (issue 16)
    timeTriggerRoutes(tenantApp, ctx);
    robotRoutes(tenantApp, ctx);
    tokenRoutes(tenantApp, ctx);
    auditRoutes(tenantApp, ctx);
    sessionRoutes(tenantApp, ctx);
    userRoutes(tenantApp, ctx);
    eventRoutes(tenantApp, ctx);
    robotProtocolRoutes(tenantApp, ctx);
    consoleRoutes(tenantApp, ctx);
  }, { prefix: "/:org/:tenant/orchestrator_" });

  organizationRoutes(app, ctx);

  return {
    app,
    routes,
    open() {
      isOpen = true;
      open();
    },
    beginShutdown() {
      shuttingDown = true;
      shutdown.abort();
      options.baton.waiters.releaseAll();
    },
  };
}

/** Human logs: nothing when a request comes in, one line (method, redacted URL, status, time) when it completes. */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, "request errored");
    else reply.log.info(fields, "request completed");
  }
}

/** query parameters whose values are no secret and help reading logs: filters and cursors of lists, a signed URI's expiry, the call mode */
const LOGGED_QUERY_PARAMS = new Set(["limit", "cursor", "state", "processName", "folderKey", "triggerId", "timeTriggerId", "count", "createdAfter", "createdBefore", "action", "since", "exp", "$callMode"]);

/**
 * A request URL for the logs: the value of every query parameter but a few harmless ones is
 * replaced by `[redacted]` (a signed URI's `sig`, a credential a careless client put there,
 * invocation arguments, which may be secret).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q === -1) return url;
  // an invocation's query is its arguments, whatever their names: only the call mode is kept
  const invocation = /\/orchestrator_\/t\//.test(url.slice(0, q));
  const query = url.slice(q + 1).split("&").map((part) => {
    const eq = part.indexOf("=");
    const name = eq === -1 ? part : part.slice(0, eq);
    let decoded = name;
    try { decoded = decodeURIComponent(name.replace(/\+/g, " ")); } catch { /* a malformed escape: not a known name */ }
    const kept = invocation ? decoded === "$callMode" : LOGGED_QUERY_PARAMS.has(decoded);
    // a bare name (`?<token>`) is itself the value
    if (eq === -1) return kept || part === "" ? part : "[redacted]";
    return kept ? part : `${name}=[redacted]`;
  });
  return `${url.slice(0, q)}?${query.join("&")}`;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
