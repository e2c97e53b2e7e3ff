import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { BatonError, Internal, isStoreUnavailable, StoreUnavailable } from "../core/errors.js";

export { isStoreUnavailable };

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, "unsupported-media-type"],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, "payload-too-large"],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, "invalid-json"],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, "invalid-content-length"],
  FST_ERR_VALIDATION: [400, "invalid-request"],
  FST_ERR_BAD_URL: [400, "invalid-url"],
  FST_ERR_MAX_PARAM_LENGTH: [414, "uri-too-long"],
};

/** Coerces anything thrown into a BatonError, once, keeping the original as `cause`. */
export function toBatonError(err: unknown): BatonError {
  if (err instanceof BatonError) return err;
  const e = err as Partial<FastifyError> & { code?: string };
  const known = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return new BatonError(known[0], known[1], statusTitle(known[0]), e.message ?? "Bad request", { cause: err });
  if (typeof e?.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    return new BatonError(e.statusCode, "bad-request", statusTitle(e.statusCode), e.message ?? "Bad request", { cause: err });
  }
  // PostgreSQL refuses characters it cannot keep (NUL) in text: the input's fault, not ours
  if (e?.code === "22021" || e?.code === "22P05") {
    return new BatonError(400, "invalid-characters", "Bad Request", "The request holds characters that cannot be stored (such as NUL).", { cause: err });
  }
  if (isStoreUnavailable(err)) return StoreUnavailable(err);
  return Internal(err);
}

export function problemBody(err: BatonError, instance?: string): Record<string, unknown> {
  return {
    type: `https://baton.dev/problems/${err.code}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    code: err.code,
    ...(instance ? { instance } : {}),
    ...err.extra,
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, thrown: unknown): FastifyReply {
  const err = toBatonError(thrown);
  if (err.status >= 500) request.log.error({ err: err.cause ?? err, code: err.code }, "request failed");
  reply.code(err.status).headers(err.headers).type("application/problem+json");
  return reply.send(JSON.stringify(problemBody(err, request.url.split("?")[0])));
}

function statusTitle(status: number): string {
  return ({ 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type" } as Record<number, string>)[status] ?? "Error";
}
