/**
 * Routes whose body the core checks itself, field by field, listing every fault in one 400
 * with the route's code and a message naming the rule (`must be an integer from 1 to 31536000
 * (a year) or null`): processes, API triggers, settings. Their body schema is still declared
 * (the document, the client's and the console's types come from it), and it is the contract;
 * this compiler leaves the body to the core so that its answers stay as they are (Ajv would
 * answer the same faults first, with its own words). The querystring and params are checked
 * by their schemas as on every route.
 */
import type { FastifySchemaCompiler } from "fastify";
import { validatorCompiler } from "./validation.js";

const accept = () => true;

export const bodyCheckedByCore: FastifySchemaCompiler<unknown> = (route) => (route.httpPart === "body" ? accept : validatorCompiler(route));

/**
 * The invoke URL (routes/invocation.ts): its body, query string and Idempotency-Key are free-form
 * by design and checked by the route and the core (the route's own body parser, the arguments
 * against the process's input schema, `$callMode`, the key: their own codes, every violation
 * listed), and an unknown folder or slug is 404 trigger-not-found before anything is read.
 * Its schemas are the document's; nothing is checked twice on the hot path.
 */
export const invocationCheckedByCore: FastifySchemaCompiler<unknown> = () => accept;
