// A throwaway CA, a server certificate for 127.0.0.1 and localhost, and a client certificate,
// made with openssl in a temp dir, for TLS and mutual-TLS tests.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface TestCertificates {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  remove(): Promise<void>;
}

export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(tmpdir(), "taskplane-tls-"));
  const at = (f: string) => path.join(dir, f);
  const openssl = (...args: string[]) => {
    try {
      execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error("openssl is missing; install it with: apt-get install -y openssl");
      throw e;
    }
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Taskplane test CA");
  for (const [name, ext] of [
    ["server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"],
    ["client", "extendedKeyUsage=clientAuth"],
  ] as const) {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=taskplane-${name}`);
    await writeFile(at(`${name}.ext`), ext);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
  }
  const read = (f: string) => readFile(at(f));
  return {
    ca: await read("ca.pem"),
    serverCert: await read("server.pem"),
    serverKey: await read("server.key"),
    clientCert: await read("client.pem"),
    clientKey: await read("client.key"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
