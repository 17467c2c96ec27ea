// How tokens are checked: who issues them, for whom, with which algorithms and keys.
import type { JSONWebKeySet } from "jose";

export interface AuthSettings {
  issuer: string;
  audience: string;
  /** Accepted JWS algorithms; anything else (and "none") is refused. */
  algorithms: string[];
  /** Where the issuer publishes its keys; fetched and cached, refetched for an unknown kid. */
  jwksUrl?: string;
  /** Or the public keys themselves. */
  jwks?: JSONWebKeySet;
  /** Leeway for exp and nbf against clock skew. */
  clockToleranceSeconds: number;
}

export const DEFAULT_ALGORITHMS = ["EdDSA", "ES256", "RS256"];
