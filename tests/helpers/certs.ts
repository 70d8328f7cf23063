/**
 * A throw-away test PKI made with the `openssl` command line (P-256 keys: fast):
 *
 * - a test CA (`ca.pem`);
 * - a server certificate signed by it for `DNS:localhost`, `IP:127.0.0.1`, `IP:::1`;
 * - a second server certificate signed by it for `DNS:wrong.example` only;
 * - a client certificate signed by it (`extendedKeyUsage=clientAuth`);
 * - the client key again as encrypted PKCS#8 PEM (AES-256-CBC, passphrase
 *   {@linkcode CLIENT_KEY_PASSWORD}).
 *
 * Generated once per test run (the first {@linkcode getTestCerts} call) in a
 * `Deno.makeTempDir()` directory, removed by {@linkcode removeTestCerts} or,
 * failing that, when the test module unloads. Needs `--allow-run=openssl`,
 * `--allow-read` and `--allow-write`.
 *
 * @module
 */

/** Passphrase of {@linkcode TestCerts.clientEncryptedKeyPath}. */
export const CLIENT_KEY_PASSWORD = "secret";

/** Paths and PEM texts of the generated test PKI. */
export interface TestCerts {
  /** The temp directory holding every file. */
  dir: string;
  /** The test CA certificate. */
  caPath: string;
  caPem: string;
  /** Server certificate for localhost / 127.0.0.1 / ::1, signed by the CA. */
  serverCertPath: string;
  serverKeyPath: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** Server certificate for `wrong.example` only, signed by the CA. */
  wrongCertPath: string;
  wrongKeyPath: string;
  wrongCertPem: string;
  wrongKeyPem: string;
  /** Client certificate (clientAuth), signed by the CA. */
  clientCertPath: string;
  clientKeyPath: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** The client key as encrypted PKCS#8 PEM, passphrase {@linkcode CLIENT_KEY_PASSWORD}. */
  clientEncryptedKeyPath: string;
  clientEncryptedKeyPem: string;
  /** A path inside `dir` that does not exist. */
  missingPath: string;
}

const decoder = new TextDecoder();

async function openssl(dir: string, args: string[]): Promise<void> {
  const result = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(`openssl ${args.join(" ")} failed: ${decoder.decode(result.stderr)}`);
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Makes `<name>.key` + `<name>.pem` signed by the CA with the given extensions. */
async function issue(dir: string, name: string, cn: string, extensions: string): Promise<void> {
  await openssl(dir, [
    "req",
    ...EC_KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-sha256",
    "-extfile",
    `${name}.ext`,
  ]);
}

async function generate(): Promise<TestCerts> {
  const dir = await Deno.makeTempDir({ prefix: "ohos_ws_client_certs_" });
  try {
    await openssl(dir, [
      "req",
      "-x509",
      ...EC_KEY,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-sha256",
      "-subj",
      "/CN=ohos-ws client-test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    const leaf = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n";
    await issue(
      dir,
      "server",
      "localhost",
      leaf + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n",
    );
    await issue(
      dir,
      "wrong",
      "wrong.example",
      leaf + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:wrong.example\n",
    );
    await issue(dir, "client", "ohos-ws test client", leaf + "extendedKeyUsage=clientAuth\n");
    await openssl(dir, [
      "pkcs8",
      "-topk8",
      "-v2",
      "aes-256-cbc",
      "-in",
      "client.key",
      "-out",
      "client.enc.key",
      "-passout",
      `pass:${CLIENT_KEY_PASSWORD}`,
    ]);
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
    return {
      dir,
      caPath: `${dir}/ca.pem`,
      caPem: await read("ca.pem"),
      serverCertPath: `${dir}/server.pem`,
      serverKeyPath: `${dir}/server.key`,
      serverCertPem: await read("server.pem"),
      serverKeyPem: await read("server.key"),
      wrongCertPath: `${dir}/wrong.pem`,
      wrongKeyPath: `${dir}/wrong.key`,
      wrongCertPem: await read("wrong.pem"),
      wrongKeyPem: await read("wrong.key"),
      clientCertPath: `${dir}/client.pem`,
      clientKeyPath: `${dir}/client.key`,
      clientCertPem: await read("client.pem"),
      clientKeyPem: await read("client.key"),
      clientEncryptedKeyPath: `${dir}/client.enc.key`,
      clientEncryptedKeyPem: await read("client.enc.key"),
      missingPath: `${dir}/does-not-exist.pem`,
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

let cached: Promise<TestCerts> | undefined;
let createdDir: string | undefined;

function removeOnUnload(): void {
  if (createdDir === undefined) return;
  try {
    Deno.removeSync(createdDir, { recursive: true });
  } catch {
    // already gone
  }
  createdDir = undefined;
}

/**
 * The test PKI, generated on the first call and shared by every later call in
 * the same test run.
 */
export function getTestCerts(): Promise<TestCerts> {
  if (cached === undefined) {
    cached = generate().then((certs) => {
      createdDir = certs.dir;
      globalThis.addEventListener("unload", removeOnUnload);
      return certs;
    });
    // A failed generation may be retried by the next caller.
    cached.catch(() => cached = undefined);
  }
  return cached;
}

/** Deletes the generated files now (a later {@linkcode getTestCerts} makes new ones). */
export async function removeTestCerts(): Promise<void> {
  const pending = cached;
  cached = undefined;
  if (pending === undefined) return;
  const certs = await pending.catch(() => undefined);
  if (certs === undefined) return;
  await Deno.remove(certs.dir, { recursive: true }).catch(() => {});
  if (createdDir === certs.dir) createdDir = undefined;
  globalThis.removeEventListener("unload", removeOnUnload);
}
