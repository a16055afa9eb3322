import { DOMAIN_ROLES } from "./domain-roles.js";
import { AGENT_ROLES } from "./agent-roles.js";
import { FAULT_ROLES } from "./fault-roles.js";
import { GROUP_ROLES } from "./group-roles.js";
import { IDEMPOTENCY_ROLES } from "./idempotency-roles.js";
import { LEASE_ROLES } from "./lease-roles.js";
import { RETENTION_ROLES } from "./retention-roles.js";
import { type Role, SPI_ROLES } from "./spi-roles.js";
import { WATCH_ROLES } from "./watch-roles.js";

/** Every child role, by name. */
export const ROLES: Record<string, Role> = {
  ...SPI_ROLES,
  ...FAULT_ROLES,
  ...DOMAIN_ROLES,
  ...WATCH_ROLES,
  ...AGENT_ROLES,
  ...LEASE_ROLES,
  ...IDEMPOTENCY_ROLES,
  ...RETENTION_ROLES,
  ...GROUP_ROLES,
};
