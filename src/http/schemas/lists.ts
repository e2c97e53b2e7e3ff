/**
 * The query parameters of lists. `limit` is a string of digits on the wire, checked 1-1000 by
 * the core (listQuery.ts, 400 invalid-filter): declared so, the document says what it takes
 * and the type coercion of query parameters (which would take `0x10` for 16) stays out.
 */
import { Type } from "typebox";

export const Limit = Type.String({ pattern: "^[0-9]{1,4}$", description: "Page size: an integer from 1 to 1000 (50 by default).", examples: ["50"] });
export const Cursor = Type.String({ description: "The `nextCursor` of the previous page, unchanged." });
