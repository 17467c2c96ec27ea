// Bearer JWTs, verified with jose: pinned algorithms (so neither "none" nor an HS256 token signed
// with a public key passes), required issuer, audience, subject and expiry, keys by kid.
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { UnauthenticatedError } from "../domain/errors.js";
import type { AuthSettings } from "./auth-settings.js";
import { ROLES, type Principal, type Role } from "./principal.js";

export type TokenVerifier = (token: string) => Promise<Principal>;

export function createTokenVerifier(settings: AuthSettings): TokenVerifier {
  if (!settings.jwks && !settings.jwksUrl) throw new Error("authentication needs keys: a JWKS URL or a JWKS file");
  const keys = settings.jwks ? createLocalJWKSet(settings.jwks) : createRemoteJWKSet(new URL(settings.jwksUrl!));
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: settings.algorithms,
        clockTolerance: settings.clockToleranceSeconds,
        requiredClaims: ["sub", "exp"],
      });
      return principalOf(payload);
    } catch (e) {
      throw new UnauthenticatedError(`invalid token: ${reason(e)}`, { cause: e });
    }
  };
}

function principalOf(payload: JWTPayload): Principal {
  const list = (claim: string) => (Array.isArray(payload[claim]) ? (payload[claim] as unknown[]).filter((v): v is string => typeof v === "string") : []);
  const roles = list("roles").filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  return { subject: payload.sub!, roles, namespaces: list("namespaces"), queues: list("queues") };
}

/** What was wrong, in words a client can act on, without echoing the token. */
function reason(e: unknown): string {
  if (e instanceof errors.JWTExpired) return "it has expired";
  if (e instanceof errors.JWTClaimValidationFailed) return `claim ${e.claim} is not valid (${e.reason})`;
  if (e instanceof errors.JOSEAlgNotAllowed) return "its algorithm is not accepted";
  if (e instanceof errors.JWKSNoMatchingKey) return "no key matches its kid";
  if (e instanceof errors.JWSSignatureVerificationFailed) return "its signature does not verify";
  if (e instanceof UnauthenticatedError) return e.message;
  return "it cannot be read as a signed JWT";
}
