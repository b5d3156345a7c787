// protoRoot: the Envoy v3 protos (as shipped by @grpc/grpc-js-xds under deps/) loaded once into protobufjs.

import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import protobuf from "protobufjs";

const require = createRequire(import.meta.url);

/** Where the registry package keeps the proto trees; resolved at load time, never vendored. */
const DEPS_DIR = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
const INCLUDE_DIRS = [
  ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(DEPS_DIR, d)),
  // google/protobuf/descriptor.proto and friends ship with protobufjs itself.
  dirname(require.resolve("protobufjs/package.json")),
];

/** Every proto file whose messages Weft sends, receives or packs into an Any. */
const PROTO_FILES = [
  "envoy/service/discovery/v3/ads.proto",
  "envoy/service/discovery/v3/discovery.proto",
  "envoy/config/listener/v3/listener.proto",
  "envoy/config/route/v3/route.proto",
  "envoy/config/cluster/v3/cluster.proto",
  "envoy/config/endpoint/v3/endpoint.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto",
  "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/filters/http/fault/v3/fault.proto",
  "envoy/extensions/filters/http/cors/v3/cors.proto",
  "envoy/extensions/filters/http/jwt_authn/v3/config.proto",
  "envoy/extensions/filters/http/rbac/v3/rbac.proto",
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto",
  "envoy/service/auth/v3/external_auth.proto",
  "envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto",
  "envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/transport_sockets/tls/v3/secret.proto",
  "envoy/extensions/clusters/aggregate/v3/cluster.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  "udpa/type/v1/typed_struct.proto",
  "xds/type/v3/typed_struct.proto",
];

function resolveImport(_origin: string, target: string): string {
  for (const dir of INCLUDE_DIRS) {
    const candidate = join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  return target;
}

function load(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = resolveImport;
  root.loadSync(PROTO_FILES, { keepCase: true });
  root.resolveAll();
  return root;
}

/** The loaded root. Field names keep the proto's snake_case, as Envoy's JSON config does. */
export const protoRoot: protobuf.Root = load();

/** Looks up a message type by its fully qualified name (no leading dot). Throws if unknown. */
export function messageType(fullName: string): protobuf.Type {
  return protoRoot.lookupType(fullName);
}
