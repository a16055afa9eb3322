import { DOMAIN_COLLECTIONS } from "@statehouse/core/spi";

/** The domain's collections, as core lists them; index keys come from core's `indexKeysFor`. */
export const COLLECTIONS = DOMAIN_COLLECTIONS;
export type CollectionName = string;

export function isCollection(name: string): name is CollectionName {
  return COLLECTIONS.includes(name);
}
