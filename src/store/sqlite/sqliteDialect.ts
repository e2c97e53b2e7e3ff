import type { Dialect } from "../sql/Dialect.js";

export const sqliteDialect: Dialect = {
  name: "sqlite",
  placeholder: () => "?",
  supportsSkipLocked: false,
  supportsForUpdate: false,
  byteOrder: (column) => column,
  jsonArrayElements: (column) => `json_each(${column})`,
};
