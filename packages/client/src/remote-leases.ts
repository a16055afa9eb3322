import type { Lease, LeaseAcquireOptions, LeaseRenewOptions, LeasesApi } from "@statehouse/core";
import { isStatehouseError } from "@statehouse/core/errors";
import { jsonText, seg } from "./encode.js";
import type { Transport } from "./transport.js";

/**
 * `store.leases` over the daemon (`/v1/leases/{name}`). The daemon runs the library's leases, so
 * the answers and the errors (E_CONFLICT with `details.holder` and `details.currentToken`,
 * E_VALIDATION for a bad ttl, holder or token) are the library's; a bad name fails here, before
 * anything is sent, as in process.
 */
export class RemoteLeases implements LeasesApi {
  constructor(private readonly t: Transport) {}

  private path(name: string): string {
    return `/v1/leases/${seg(name, "lease name")}`;
  }

  async acquire(name: string, options: LeaseAcquireOptions): Promise<Lease> {
    const path = this.path(name);
    const body = jsonText({ holder: options?.holder, ttlMs: options?.ttlMs }, "lease options");
    return (await this.t.send("POST", path, { body })).body as Lease;
  }

  async renew(name: string, options: LeaseRenewOptions): Promise<Lease> {
    const path = `${this.path(name)}/renew`;
    const body = jsonText({ token: options?.token, ...(options?.ttlMs !== undefined && { ttlMs: options.ttlMs }) }, "lease options");
    return (await this.t.send("POST", path, { body })).body as Lease;
  }

  async release(name: string, options: { token: number }): Promise<boolean> {
    const path = this.path(name);
    const body = jsonText({ token: options?.token }, "lease options");
    return ((await this.t.send("DELETE", path, { body })).body as { released: boolean }).released;
  }

  async get(name: string): Promise<Lease | undefined> {
    const path = this.path(name);
    try {
      return (await this.t.send("GET", path)).body as Lease;
    } catch (err) {
      // A lease never acquired is a 404 on the wire and undefined in the library; a missing route
      // (an older daemon) stays an error.
      if (isStatehouseError(err) && err.code === "E_NOT_FOUND" && err.details.lease !== undefined) return undefined;
      throw err;
    }
  }
}
