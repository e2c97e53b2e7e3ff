import type { Dialect } from "../sql/Dialect.js";

export const postgresDialect: Dialect = {
  name: "postgres",
  placeholder: (index) => `$${index}`,
  supportsSkipLocked: true,
  supportsForUpdate: true,
  byteOrder: (column) => `${column} COLLATE "C"`,
  jsonAppend: (column) => [`${column} || jsonb_build_array(CAST(`, " AS jsonb))"],
  jsonArrayElements: (column) => `jsonb_array_elements_text(${column}) AS value`,
  // pg_column_size (the stored, possibly compressed, size) rules out a long value without
  // reading it; the CASE keeps octet_length, which detoasts, to the short ones
  longerThan: (column, bytes) =>
    `(CASE WHEN ${column} IS NULL THEN false WHEN pg_column_size(${column}) > ${bytes} THEN true ELSE octet_length(${column}::text) > ${bytes} END)`,
  indexedBy: () => "",
};
