/** What the global setup hands to test files through vitest's provide/inject. */
export interface PgTestTarget {
  /** A URL of the server's maintenance database, from which test databases are made. */
  adminUrl?: string;
  binDir?: string;
  /** True when the tests started the server (so they may also start their own). */
  ownServer?: boolean;
  /** Why the PostgreSQL tests skip. */
  skip?: string;
}

export const TEMPLATE = "statehouse_test_template";

declare module "vitest" {
  export interface ProvidedContext {
    pg: PgTestTarget;
  }
}

/** A node-postgres client config from a statehouse PostgreSQL URL (socket dir in `?host=`). */
export function clientConfig(url: string): { host?: string; port?: number; user?: string; password?: string; database?: string } {
  const u = new URL(url);
  const q = u.searchParams;
  const host = q.get("host") ?? (u.hostname === "" ? undefined : u.hostname);
  const port = q.get("port") ?? (u.port === "" ? undefined : u.port);
  const user = q.get("user") ?? (u.username === "" ? undefined : decodeURIComponent(u.username));
  const password = q.get("password") ?? (u.password === "" ? undefined : decodeURIComponent(u.password));
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || undefined;
  return {
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port: Number(port) }),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(database === undefined ? {} : { database }),
  };
}

/** The same URL naming another database (and optionally extra parameters). */
export function withDatabase(url: string, database: string, params: Record<string, string> = {}): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
