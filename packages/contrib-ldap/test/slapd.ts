import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "ldapts";

/** A small schema: multi-valued attributes for the topic lists and an auxiliary class carrying them. */
const MQTT_SCHEMA = `
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'mqttPublish' DESC 'MQTT topic filter the user may publish to'
  EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'mqttSubscribe' DESC 'MQTT topic filter the user may subscribe to'
  EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'mqttReceive' DESC 'MQTT topic filter the user may receive from'
  EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'mqttUser' DESC 'topic lists of an MQTT user' AUXILIARY
  MAY ( mqttPublish $ mqttSubscribe $ mqttReceive ) )
`;

/** The test directory's fixed names. */
export const BASE_DN = "dc=amqtt,dc=test";
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = "admin-secret";
export const READER_DN = `cn=reader,${BASE_DN}`;
export const READER_PASSWORD = "reader-secret";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A real slapd on free loopback ports in a temp dir (ldap:// and ldaps://), stopped by PID. */
export class Slapd {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number,
    readonly caFile: string,
    private readonly child: ChildProcess,
  ) {}

  get url(): string {
    return `ldap://127.0.0.1:${this.port}`;
  }
  get tlsUrl(): string {
    return `ldaps://127.0.0.1:${this.tlsPort}`;
  }

  static async start(ldif: string): Promise<Slapd> {
    const dir = mkdtempSync(join(tmpdir(), "amqtt-slapd-"));
    const db = join(dir, "db");
    mkdirSync(db);
    // A test CA and a server certificate for 127.0.0.1.
    const ssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    ssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=amqtt test CA",
    ]);
    ssl([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=127.0.0.1",
    ]);
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl([
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.crt",
      "-days",
      "2",
      "-extfile",
      "san.ext",
    ]);
    writeFileSync(join(dir, "mqtt.schema"), MQTT_SCHEMA);
    const hash = (password: string) =>
      execFileSync("slappasswd", ["-s", password], { encoding: "utf8" }).trim();
    writeFileSync(
      join(dir, "slapd.conf"),
      `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include ${join(dir, "mqtt.schema")}
pidfile ${join(dir, "slapd.pid")}
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile ${join(dir, "ca.crt")}
TLSCertificateFile ${join(dir, "server.crt")}
TLSCertificateKeyFile ${join(dir, "server.key")}
database mdb
maxsize 10485760
suffix "${BASE_DN}"
rootdn "${ADMIN_DN}"
rootpw ${hash(ADMIN_PASSWORD)}
directory ${db}
access to attrs=userPassword by anonymous auth by self read by * none
access to * by dn.exact="${READER_DN}" read by self read by * none
`,
    );
    const base = `dn: ${BASE_DN}
objectClass: dcObject
objectClass: organization
dc: amqtt
o: amqtt test

dn: ${READER_DN}
objectClass: person
cn: reader
sn: reader
userPassword: ${hash(READER_PASSWORD)}

`;
    writeFileSync(
      join(dir, "data.ldif"),
      base + ldif.replace(/\{hash:([^}]*)\}/g, (_m, p: string) => hash(p)),
    );
    execFileSync("slapadd", ["-f", join(dir, "slapd.conf"), "-l", join(dir, "data.ldif")], { stdio: "pipe" });
    const [port, tlsPort] = [await freePort(), await freePort()];
    // -d keeps slapd in the foreground, so the child's PID is slapd's.
    const child = spawn(
      "slapd",
      [
        "-f",
        join(dir, "slapd.conf"),
        "-h",
        `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`,
        "-d",
        "0",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const slapd = new Slapd(dir, port, tlsPort, join(dir, "ca.crt"), child);
    await slapd.#ready(() => stderr);
    return slapd;
  }

  /** Wait until slapd answers a bind (or fail with its stderr if it exits). */
  async #ready(stderr: () => string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (this.child.exitCode !== null) throw new Error(`slapd exited: ${stderr()}`);
      const client = new Client({ url: this.url, connectTimeout: 1000 });
      try {
        await client.bind(READER_DN, READER_PASSWORD);
        await client.unbind();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`slapd did not answer: ${stderr()}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      process.kill(this.child.pid!, "SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
