// Test helpers for proxyless gRPC end to end: grpc-js echo servers with scripted behaviour, xDS bootstrap, timed calls.

import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";

export const ECHO_PATH = "/weft.test.Echo/Get";

const json = {
  serialize: (o: unknown) => Buffer.from(JSON.stringify(o)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as { server: string },
};

/** What a server does with its n-th call (1-based): answer, or fail with a status; may wait first. */
export type EchoBehaviour = (n: number, metadata: grpc.Metadata) => { delayMs?: number; fail?: grpc.status };

/** A grpc-js server on `ip:port` answering `{server: name}`; `hits` counts calls that reached it. */
export class EchoServer {
  hits = 0;
  private constructor(readonly name: string, private readonly server: grpc.Server) {}

  static async start(ip: string, port: number, name: string, behaviour: EchoBehaviour = () => ({})): Promise<EchoServer> {
    const server = new grpc.Server();
    const echo = new EchoServer(name, server);
    server.addService(
      { Get: { path: ECHO_PATH, requestStream: false, responseStream: false, requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize } },
      {
        Get: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<{ server: string }>) => {
          const b = behaviour(++echo.hits, call.metadata);
          const answer = (): void => (b.fail !== undefined ? cb({ code: b.fail, details: `${name} fails` }) : cb(null, { server: name }));
          if (b.delayMs) setTimeout(answer, b.delayMs);
          else answer();
        },
      },
    );
    await new Promise<void>((resolve, reject) => server.bindAsync(`${ip}:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    return echo;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

/** Points this process's grpc-js-xds at a Weft control plane (read once per process: call it once, before any channel). */
export function useWeftXds(xdsPort: number, clientIp: string): void {
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
    node: { id: `sidecar~${clientIp}~grpc-client.default~default.svc.cluster.local`, metadata: { GENERATOR: "grpc", NAMESPACE: "default", INSTANCE_IPS: clientIp }, locality: {} },
  });
  grpcXds.register();
}

export function xdsClient(target: string): grpc.Client {
  return new grpc.Client(`xds:///${target}`, grpc.credentials.createInsecure());
}

export interface CallResult {
  code: grpc.status;
  server?: string;
  ms: number;
}

/** One unary call; never rejects: the status code (OK = 0), the answering server and the elapsed time. */
export function echo(client: grpc.Client, metadata: Record<string, string> = {}, deadlineMs = 5000): Promise<CallResult> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  const start = performance.now();
  return new Promise((resolve) =>
    client.makeUnaryRequest(ECHO_PATH, json.serialize, json.deserialize, {}, md, { deadline: Date.now() + deadlineMs }, (err, res) =>
      resolve(err ? { code: err.code, ms: performance.now() - start } : { code: grpc.status.OK, server: res!.server, ms: performance.now() - start }),
    ),
  );
}

/** Waits until the channel is READY (it has its xDS config and a connection), up to `ms`. */
export function waitReady(client: grpc.Client, ms = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + ms, (err) => (err ? reject(err) : resolve())));
}

/** A ServiceEntry `<name>.default.svc.cluster.local:<port>` (protocol GRPC) with static endpoints. */
export function serviceEntry(name: string, port: number, addresses: string[]): string {
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}
spec:
  hosts: [${name}.default.svc.cluster.local]
  ports:
  - {number: ${port}, name: grpc, protocol: GRPC}
  resolution: STATIC
  endpoints:
${addresses.map((a) => `  - {address: ${a}}`).join("\n")}
---`;
}
