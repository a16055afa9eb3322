export { LmdbAdapter, openAdapter } from "./lmdb-adapter.js";
export type { LmdbAdapterOptions } from "./options.js";
export { verifyEnvironmentFile } from "./verify.js";
