/**
 * The document's operations generated from the routes (routeContract.ts): `@fastify/swagger`
 * turns each converted route's schema into an operation (parameters, request body, success
 * answers), and openapi.ts `routeOperation` adds what the route's `config` says (security,
 * the auth and permission prose, 400/401/403/404/409/429/5xx answers, the answers' links). Routes without an
 * `operationId` in their schema are not converted yet: their operation is still written by
 * hand in openapi.ts. A route is a tenant's (under the tenant prefix), the organization's
 * (`/:org/…`) or the node's (`/healthz`…); the last two must be registered inside
 * `app.register` (after this plugin has loaded), or the generator does not see them.
 */
import fastifySwagger from "@fastify/swagger";
import type { FastifyInstance, FastifySchema, RouteOptions } from "fastify";
import { routeOperation, useGeneratedOperations, type GeneratedOperation } from "./openapi.js";
import { withRefs } from "./schemas/named.js";

type Obj = { [key: string]: unknown };

const TENANT_PREFIX = "/:org/:tenant/orchestrator_";

/** Registers the generator (before the routes: it collects them as they are added); the operations are handed to openapi.ts once the app is ready. */
export function registerOpenApiGenerator(app: FastifyInstance): void {
  const configs = new Map<string, RouteOptions["config"]>();
  const levels = new Map<string, GeneratedOperation["level"]>();
  const links = new Map<string, Record<string, Obj>>();
  app.register(fastifySwagger, {
    openapi: { openapi: "3.1.0", info: { title: "Baton", version: "1.0.0" } },
    transform: ({ schema, url, route }) => {
      const operationId = (schema as { operationId?: string } | undefined)?.operationId;
      if (!operationId || route.method === "HEAD") return { schema: { hide: true } as FastifySchema, url };
      configs.set(operationId, route.config);
      // an answer's `links` (the status URI's to the output): fastify-swagger leaves them out
      const answers = Object.entries((schema as { response?: Record<string, { links?: Obj }> }).response ?? {}).filter(([, r]) => r.links);
      if (answers.length) links.set(operationId, Object.fromEntries(answers.map(([status, r]) => [status, withRefs(r.links) as Obj])));
      const tenant = url.startsWith(TENANT_PREFIX);
      levels.set(operationId, tenant ? "tenant" : url.startsWith("/:org/") ? "organization" : "node");
      return { schema: withRefs(schema) as FastifySchema, url: tenant ? url.slice(TENANT_PREFIX.length) : url };
    },
  });
  // the operations are made when the document is first built, after the app is ready
  app.addHook("onReady", async () => useGeneratedOperations(() => {
    const generated = app.swagger() as { paths?: Record<string, Record<string, Obj>> };
    const operations: GeneratedOperation[] = [];
    for (const [path, item] of Object.entries(generated.paths ?? {})) {
      for (const [method, op] of Object.entries(item)) {
        const config = configs.get(op.operationId as string);
        if (!config) continue;
        const id = op.operationId as string;
        operations.push({ path, method, op, config, level: levels.get(id) ?? "tenant", links: links.get(id) });
      }
    }
    return operations.map((o) => ({ ...o, op: routeOperation(o) }));
  }));
}
