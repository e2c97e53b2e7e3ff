import type { Dialect } from "../sql/Dialect.js";

export const postgresDialect: Dialect = {
  name: "postgres",
  placeholder: (index) => `$${index}`,
  supportsSkipLocked: true,
  supportsForUpdate: true,
  byteOrder: (column) => `${column} COLLATE "C"`,
  jsonArrayElements: (column) => `jsonb_array_elements_text(${column}) AS value`,
};
