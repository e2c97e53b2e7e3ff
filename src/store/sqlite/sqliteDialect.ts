import type { Dialect } from "../sql/Dialect.js";

export const sqliteDialect: Dialect = {
  name: "sqlite",
  placeholder: () => "?",
  supportsSkipLocked: false,
  supportsForUpdate: false,
  byteOrder: (column) => column,
  jsonAppend: (column) => [`json_insert(${column}, '$[#]', json(`, "))"],
  jsonArrayElements: (column) => `json_each(${column})`,
  // octet_length of a column is its stored size, taken from the record header without reading the value
  longerThan: (column, bytes) => `(octet_length(${column}) > ${bytes})`,
  indexedBy: (index) => `INDEXED BY ${index}`,
};
