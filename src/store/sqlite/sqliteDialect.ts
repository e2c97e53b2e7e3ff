import type { Dialect } from "../sql/Dialect.js";

export const sqliteDialect: Dialect = {
  name: "sqlite",
  placeholder: () => "?",
  supportsSkipLocked: false,
  jsonArrayElements: (column) => `json_each(${column})`,
};
