import { RemoteStore } from "./remote-store.js";
import type { ClientOptions } from "./transport.js";

export { RemoteStore } from "./remote-store.js";
export type { ClientOptions } from "./transport.js";

declare const __STATEHOUSE_CLIENT_VERSION__: string;
/** The version of this package (the CLI compares it with the daemon's). */
export const CLIENT_VERSION: string = __STATEHOUSE_CLIENT_VERSION__;

/**
 * Opens the store a daemon serves: `unix:/path/to.sock`, or `http://127.0.0.1:PORT` with
 * `{ token }`. Returns the library's store interface; nothing is sent until the first call, and a
 * daemon that cannot be reached gives E_UNAVAILABLE then.
 */
export async function open(url: string, options: ClientOptions = {}): Promise<RemoteStore> {
  return new RemoteStore(url, options);
}
