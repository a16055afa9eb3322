import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
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
    throw new ConfigError(`--listen takes HOST:PORT with a loopback host, e.g. 127.0.0.1:7700; got ${JSON.stringify(text)}`, { details: { listen: text } });
  }
  const host = (m[1] ?? m[2])!;
  if (host === "127.0.0.1" || host === "localhost") return { host: "127.0.0.1", port };
  if (m[1] === "::1") return { host: "::1", port };
  throw new ConfigError(`--listen accepts loopback addresses only (127.0.0.1, localhost, [::1]), not ${JSON.stringify(host)}: the daemon is not a network service`, {
    details: { listen: text },
  });
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
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new PermissionError(`cannot create the token file ${path}: ${(err as Error).message}`, { cause: err });
  }
  fd = openSync(path, "r");
  try {
    const st = fstatSync(fd);
    if (st.uid !== (process.getuid?.() ?? st.uid) || (st.mode & 0o077) !== 0) {
      throw new PermissionError(`refusing the token file ${path}: it must be ours and 0600 (mode ${(st.mode & 0o777).toString(8)})`, { details: { path } });
    }
    const token = readFileSync(fd, "utf8").trim();
    if (!/^[0-9a-f]{64}$/.test(token)) throw new ConfigError(`the token file ${path} does not hold a 256-bit hex token`, { details: { path } });
    return token;
  } finally {
    closeSync(fd);
  }
}

const HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/** Why a TCP request is refused; undefined when it may proceed. */
export type Refusal = { status: 401 | 403; detail: string } | undefined;

/** Checks one TCP request: a loopback Host (else 403), then `Authorization: Bearer <token>` (else 401). */
export function checkTcpRequest(headers: IncomingHttpHeaders, token: string): Refusal {
  const host = headers.host;
  if (host === undefined || !HOST.test(host)) {
    return { status: 403, detail: "the Host header must be localhost, 127.0.0.1 or [::1] (with an optional port)" };
  }
  const auth = headers.authorization;
  const given = auth !== undefined && /^Bearer /i.test(auth) ? auth.slice(7).trim() : "";
  // Hash both sides: timingSafeEqual needs equal lengths, and comparing digests leaks neither.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  if (given === "" || !timingSafeEqual(a, b)) {
    return { status: 401, detail: "a valid bearer token is required (Authorization: Bearer <the daemon's token file>)" };
  }
  return undefined;
}
