import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { fchmodSync, fstatSync, openSync, readFileSync, closeSync, writeSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { ConfigError, PermissionError } from "@statehouse/core";

/**
 * Loopback TCP: which addresses are allowed, the bearer token and the per-request check. The
 * unix socket needs none of this (its 0600 mode and 0700 directory are the access control);
 * TCP is reachable by every local user and by web pages through DNS rebinding, hence a token
 * and a Host check.
 */

export interface ListenAddress {
  host: "127.0.0.1" | "::1";
  port: number;
}

/** Parses `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`; anything not loopback is E_CONFIG. */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError(`--listen takes HOST:PORT with a loopback host, e.g. 127.0.0.1:7700; got ${JSON.stringify(text)}`, {
      details: { listen: text },
    });
  }
  const host = (m[1] ?? m[2])!;
  if (host === "127.0.0.1" || host === "localhost") return { host: "127.0.0.1", port };
  if (m[1] === "::1") return { host: "::1", port };
  throw new ConfigError(
    `--listen accepts loopback addresses only (127.0.0.1, localhost, [::1]), not ${JSON.stringify(host)}: the daemon is not a network service`,
    {
      details: { listen: text },
    },
  );
}

/** 256 random bits, hex. */
export function newToken(): string {
  return randomBytes(32).toString("hex");
}

/**
 * The token in `path`, created (0600, 256 random bits) if the file does not exist. A file that
 * others can read or that is not ours is refused: the token is the only thing guarding TCP.
 */
export function loadOrCreateToken(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
    const token = newToken();
    writeSync(fd, `${token}\n`);
    fchmodSync(fd, 0o600);
    closeSync(fd);
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST")
      throw new PermissionError(`cannot create the token file ${path}: ${(err as Error).message}`, { cause: err });
  }
  fd = openSync(path, "r");
  try {
    const st = fstatSync(fd);
    if (st.uid !== (process.getuid?.() ?? st.uid) || (st.mode & 0o077) !== 0) {
      throw new PermissionError(`refusing the token file ${path}: it must be ours and 0600 (mode ${(st.mode & 0o777).toString(8)})`, {
        details: { path },
      });
    }
    const token = readFileSync(fd, "utf8").trim();
    if (!/^[0-9a-f]{64}$/.test(token))
      throw new ConfigError(`the token file ${path} does not hold a 256-bit hex token`, { details: { path } });
    return token;
  } finally {
    closeSync(fd);
  }
}

const HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/** Why a TCP request is refused; undefined when it may proceed. */
export type Refusal = { status: 401 | 403; detail: string } | undefined;

/** The web page's cookie on TCP, set once in exchange for the token (a browser sends no bearer token). */
export const SESSION_COOKIE = "statehouse_session";

/**
 * The cookie's value: an HMAC of the token, so it outlives a daemon restart with the same token file
 * (the page reconnects by itself) yet never reveals the token; a new token file ends every cookie.
 */
export function sessionCookieValue(token: string): string {
  return createHmac("sha256", token).update("statehouse web session").digest("hex");
}

/** Constant time whatever the lengths: timingSafeEqual needs equal lengths, and comparing digests leaks neither. */
function same(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return given !== "" && timingSafeEqual(a, b);
}

function cookieOf(headers: IncomingHttpHeaders, name: string): string {
  for (const part of (headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return "";
}

function hostRefusal(headers: IncomingHttpHeaders): Refusal {
  const host = headers.host;
  if (host === undefined || !HOST.test(host)) {
    return { status: 403, detail: "the Host header must be localhost, 127.0.0.1 or [::1] (with an optional port)" };
  }
  return undefined;
}

/**
 * Checks one TCP request: a loopback Host (else 403), then `Authorization: Bearer <token>` or the
 * page's session cookie (else 401). The cookie is `SameSite=Strict`, so no other site's page can
 * make the browser send it, and the Host check keeps DNS rebinding out.
 */
export function checkTcpRequest(headers: IncomingHttpHeaders, token: string): Refusal {
  const host = hostRefusal(headers);
  if (host !== undefined) return host;
  const auth = headers.authorization;
  const given = auth !== undefined && /^Bearer /i.test(auth) ? auth.slice(7).trim() : "";
  if (same(given, token) || same(cookieOf(headers, SESSION_COOKIE), sessionCookieValue(token))) return undefined;
  return {
    status: 401,
    detail: "a valid bearer token is required (Authorization: Bearer <the daemon's token file>), or open /?token=<it> once",
  };
}

/** The answer to a token exchange: written by the daemon before any routing. */
export interface ExchangeAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * `GET /?token=<token>` on TCP: the token exchanged once for an HttpOnly `SameSite=Strict` session
 * cookie, then a 303 to `/` so the token leaves the address bar and the history. Undefined for any
 * other request (routed as usual); a wrong token or a foreign Host is refused like any request.
 */
export function exchangeToken(
  method: string | undefined,
  url: string | undefined,
  headers: IncomingHttpHeaders,
  token: string,
): ExchangeAnswer | undefined {
  if (method !== "GET" || url === undefined || !url.startsWith("/?")) return undefined;
  const given = new URLSearchParams(url.slice(2)).get("token");
  if (given === null) return undefined;
  const common = { "cache-control": "no-store", "referrer-policy": "no-referrer", "x-content-type-options": "nosniff" };
  const refusal =
    hostRefusal(headers) ?? (same(given, token) ? undefined : { status: 401 as const, detail: "the token is not this daemon's" });
  if (refusal !== undefined) {
    const body = JSON.stringify({
      type: "urn:statehouse:error:E_PERMISSION",
      title: "Refused",
      status: refusal.status,
      code: "E_PERMISSION",
      detail: refusal.detail,
    });
    return { status: refusal.status, headers: { ...common, "content-type": "application/problem+json" }, body };
  }
  const cookie = `${SESSION_COOKIE}=${sessionCookieValue(token)}; HttpOnly; SameSite=Strict; Path=/`;
  return { status: 303, headers: { ...common, location: "/", "set-cookie": cookie }, body: "" };
}
