/** Small shapes many routes share, and the helpers a route's schema is written with (routeContract.ts). */
import { Type, type TSchema, type TUnsafe } from "typebox";
import { CALL_MODES, PRIORITIES } from "../../core/types.js";
import { named } from "./named.js";

/** A string that is one of `values` (`{ type: "string", enum }`: a string union in the generated types). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });

export const Uuid = (description?: string) => Type.String({ format: "uuid", ...(description ? { description } : {}) });
export const DateTime = () => Type.String({ format: "date-time" });
export const NullableDateTime = () => Type.Union([Type.String({ format: "date-time" }), Type.Null()]);

/** A list answer: `{ items, nextCursor }`; `paginated: false`: not paginated yet, nextCursor is always null. */
export const Page = <T extends TSchema>(item: T, paginated: boolean) => Type.Object({
  items: Type.Array(item),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: paginated ? "Pass it as `cursor` for the next page; null on the last page." : "This list is not paginated yet: always null.",
  }),
});

/** A JSON answer, with the description the document gives it. */
export const answer = <T extends TSchema>(description: string, schema: T) => ({ description, content: { "application/json": { schema } } }) as const;

/** An answer without a body (204). */
export const noContent = (description: string) => ({ description, type: "null" }) as const;

/**
 * Input or output arguments: any JSON object, every field kept (`additionalProperties: true`:
 * a response schema without it would serialize `{}`).
 */
export const Arguments = named("Arguments", Type.Object({}, { additionalProperties: true, description: "Input or output arguments: a JSON object." }));
export const Priority = named("Priority", StringEnum(PRIORITIES));
export const CallMode = named("CallMode", StringEnum(CALL_MODES, {
  description: "AsyncRequestReply: 202 and a status URI to poll. FireAndForget: 200 once stored, no body. LongPolling: the call blocks until the result (or 303 to a wait URI).",
}));
