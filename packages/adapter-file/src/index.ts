export { FileAdapter, type FoldHealth, openAdapter } from "./file-adapter.js";
export type { FileAdapterOptions } from "./options.js";
/** The store's write lock, exported for tools and tests that coordinate with writers. */
export { StoreLock, type StoreLockOptions } from "./store-lock.js";
export { Layout } from "./layout.js";
