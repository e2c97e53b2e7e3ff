import type { ErrorObject } from "ajv";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorCode } from "../core/errorCodes.js";
import { BatonError, Internal, UnsupportedMediaType } from "../core/errors.js";
import { validationProblem } from "./validation.js";

const FASTIFY_CODES: Record<string, [number, ErrorCode]> = {
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
  // the store's errors are typed already (a 409, a 503 store-unavailable): no driver code is known here
  return Internal(err);
}

/**
 * Every problem's `type` (RFC 9457 §4.2.1): `about:blank`, the status says what kind of
 * problem it is, and `code` (stable, documented in docs/api.md) which one. Baton owns no
 * domain to publish problem pages under, and a type URI must not point at someone else's.
 */
export const PROBLEM_TYPE = "about:blank";

export function problemBody(err: BatonError, instance?: string): Record<string, unknown> {
  return {
    type: PROBLEM_TYPE,
    title: err.title,
    status: err.status,
    detail: err.message,
    code: err.code,
    ...(instance ? { instance } : {}),
    ...err.extra,
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, thrown: unknown): FastifyReply {
  const given = thrown as { code?: unknown; validation?: ErrorObject[]; validationContext?: string } | null;
  const err = given?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
    ? UnsupportedMediaType(printable(request.headers["content-type"] ?? "(none)"))
    // a request its route's schemas refuse: every violation, with the route's code
    : Array.isArray(given?.validation) ? validationProblem(given.validation, given.validationContext ?? "body", request.routeOptions.config?.errors)
    : toBatonError(thrown);
  if (err.status >= 500) request.log.error({ err: err.cause ?? err, code: err.code }, "request failed");
  reply.code(err.status).headers(err.headers).type("application/problem+json");
  if (err.status === 401) bearerChallenge(request, reply);
  return reply.send(JSON.stringify(problemBody(err, request.url.split("?")[0])));
}

function statusTitle(status: number): string {
  return ({ 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type" } as Record<number, string>)[status] ?? "Error";
}

/**
 * RFC 6750 §3: a 401 whose request sent a bearer token says why it failed,
 * `error="invalid_token"` (`invalid_request` for a malformed `Bearer` header); a request
 * that sent none (or credentials of another scheme) gets the bare challenge, no error attribute.
 */
function bearerChallenge(request: FastifyRequest, reply: FastifyReply): void {
  const challenge = reply.getHeader("www-authenticate");
  if (typeof challenge !== "string" || !/^Bearer\b/i.test(challenge) || /\berror=/.test(challenge)) return;
  const authorization = request.headers.authorization;
  // none, or another scheme (Basic…): the client did not try a bearer token
  if (authorization === undefined || !/^Bearer\b/i.test(authorization)) return;
  const error = /^Bearer +\S+\s*$/i.test(authorization) ? "invalid_token" : "invalid_request";
  reply.header("www-authenticate", `${challenge}, error="${error}"`);
}

function printable(value: string): string {
  const shown = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return shown.replace(/[^\x20-\x7e]/g, "?");
}
