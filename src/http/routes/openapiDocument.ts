import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { HttpContext } from "../context.js";
import { openApiDocument } from "../openapi.js";
import { answer } from "../schemas/common.js";
import { tenantBase } from "../urls.js";

/** `GET …/api/v1/openapi.json`: the tenant's OpenAPI document, without a token (its interactive reference: routes/apiReference.ts). */
export function openApiDocumentRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get("/api/v1/openapi.json", {
    schema: {
      operationId: "getOpenApiDocument", tags: ["Discovery"], summary: "This document",
      response: {
        200: answer("The OpenAPI 3.1 document, with the server URL of the tenant it was fetched from.", Type.Object({}, { additionalProperties: true })),
      },
    },
    config: { access: "public" },
  }, async (request) => openApiDocument(tenantBase(request, ctx.config, request.tenant)));
}
