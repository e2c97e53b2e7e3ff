/** Small shapes many routes share, and the helpers a route's schema is written with (routeContract.ts). */
import { Type, type Static, type TSchema, type TUnsafe } from "typebox";
import { NULLABLE_OF } from "./named.js";

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
 * `T | null` for a T with one `type` (a string, an enumeration, an object): `type: [T's type,
 * "null"]` (an enumeration lists null too). It means what `Type.Union([T, Type.Null()])` means,
 * but is serialized with a `typeof` check, where fast-json-stringify validates each value of a
 * union against its branches (about twice the cost of a page of jobs): for the fields of
 * answers that come by the thousand. In the document a named T stays a `$ref` (named.ts).
 */
export function OrNull<T extends TSchema>(schema: T, options: { description?: string } = {}): TUnsafe<Static<T> | null> {
  const { type, enum: values } = schema as { type?: unknown; enum?: unknown[] };
  if (typeof type !== "string") throw new Error(`OrNull: the schema must have one type (it has ${JSON.stringify(type)})`);
  return Type.Unsafe<Static<T> | null>({
    ...schema, type: [type, "null"], ...(values ? { enum: [...values, null] } : {}), ...options, [NULLABLE_OF]: { of: schema, options },
  });
}
