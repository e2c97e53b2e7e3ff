import type { IncomingHttpHeaders } from "node:http";
import { badRequest, BatonError } from "../core/errors.js";

/**
 * A request body sent with a Content-Encoding other than `identity`: Baton decodes none
 * (gzip, br, deflate…), and reading the compressed bytes as JSON would only answer
 * invalid-json with binary in its detail. 415, saying what to do (RFC 9110 §15.5.16), with
 * `Accept-Encoding: identity` (RFC 9110 §12.5.3). Null when the body may be read.
 */
export function unsupportedEncoding(headers: IncomingHttpHeaders): BatonError | null {
  const header = headers["content-encoding"];
  if (header === undefined || !hasBody(headers)) return null;
  const codings = header.split(",").map((c) => c.trim().toLowerCase()).filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return null;
  const shown = header.length > 64 ? `${header.slice(0, 64)}…` : header;
  return new BatonError(415, "unsupported-content-encoding", "Unsupported Media Type",
    `The body's Content-Encoding '${shown.replace(/[^\x20-\x7e]/g, "?")}' is not supported: send it uncompressed, without Content-Encoding (or with Content-Encoding: identity).`,
    { headers: { "accept-encoding": "identity" } });
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers["transfer-encoding"] !== undefined || (headers["content-length"] !== undefined && headers["content-length"] !== "0");
}

/**
 * The content types of a JSON body, as Fastify hands them to a RegExp parser (the media
 * type lower-cased, then its parameters): `application/json`, `application/<x>+json`, with
 * or without `; charset="utf-8"`.
 */
export const JSON_CONTENT_TYPE = /^application\/([\w.+-]+\+)?json(;.*)?$/;

/**
 * A JSON body's text parsed: empty (or only whitespace) is no body (undefined); a UTF-8
 * byte order mark before the JSON is dropped (Windows tools write one); anything else that
 * is not JSON is 400 invalid-json.
 */
export function parseJsonBody(text: string): unknown {
  const json = stripBom(text);
  if (json.trim() === "") return undefined;
  try {
    return JSON.parse(json);
  } catch (err) {
    throw badRequest("invalid-json", `The body is not valid JSON: ${(err as Error).message}`);
  }
}

/** the text without the UTF-8 byte order mark (U+FEFF) it may begin with */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
