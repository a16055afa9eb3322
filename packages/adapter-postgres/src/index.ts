export { PostgresAdapter, openAdapter } from "./postgres-adapter.js";
export type { PostgresAdapterOptions } from "./options.js";
export { CURRENT_VERSION as SCHEMA_VERSION } from "./schema.js";
