export { SqliteAdapter, openAdapter } from "./sqlite-adapter.js";
export type { SqliteAdapterOptions } from "./options.js";
export { CURRENT_VERSION as SCHEMA_VERSION } from "./schema.js";
