// A local signing key for `taskplane dev` and `taskplane token`: an Ed25519 key pair kept in the
// data dir (made on first use), the auth settings that trust it, and tokens minted with it.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exportJWK, exportPKCS8, generateKeyPair, importPKCS8, SignJWT, type CryptoKey } from "jose";
import type { AuthSettings } from "./auth-settings.js";
import type { Role } from "./principal.js";

export const LOCAL_ISSUER = "taskplane-local";
export const LOCAL_AUDIENCE = "taskplane";
const KID = "local-1";

export interface LocalKeys {
  privateKey: CryptoKey;
  settings: AuthSettings;
}

/** The data dir's key pair, made on first use; the private key file is readable by its owner only. */
export async function loadLocalKeys(dataDir: string): Promise<LocalKeys> {
  const file = join(dataDir, "auth-signing-key.pem");
  let pem = await readFile(file, "utf8").catch(() => "");
  if (!pem) {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    pem = await exportPKCS8(privateKey);
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, pem, { mode: 0o600 });
  }
  const privateKey = await importPKCS8(pem, "EdDSA", { extractable: true });
  const { d: _private, ...publicJwk } = await exportJWK(privateKey);
  return {
    privateKey,
    settings: {
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      algorithms: ["EdDSA"],
      jwks: { keys: [{ ...publicJwk, kid: KID, alg: "EdDSA", use: "sig" }] },
      clockToleranceSeconds: 30,
    },
  };
}

export interface TokenClaims {
  subject: string;
  roles: Role[];
  namespaces: string[];
  queues: string[];
  ttlSeconds: number;
}

export function mintToken(keys: LocalKeys, claims: TokenClaims): Promise<string> {
  return new SignJWT({ roles: claims.roles, namespaces: claims.namespaces, queues: claims.queues })
    .setProtectedHeader({ alg: "EdDSA", kid: KID, typ: "JWT" })
    .setSubject(claims.subject)
    .setIssuer(keys.settings.issuer)
    .setAudience(keys.settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds}s`)
    .sign(keys.privateKey);
}
