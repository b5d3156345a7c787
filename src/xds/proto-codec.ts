// protoCodec: a grpc-js serializer/deserializer pair for one protobufjs message type (plain objects, snake_case fields).

import type protobuf from "protobufjs";

/** How decoded messages look: numbers for 64-bit ints, enum names, defaults filled in, empty repeated fields as []. */
const DECODE = { longs: Number, enums: String, defaults: true, arrays: true, objects: true } as const;

export interface ProtoCodec<T> {
  serialize: (value: T) => Buffer;
  deserialize: (bytes: Buffer) => T;
}

export function protoCodec<T>(type: protobuf.Type): ProtoCodec<T> {
  return {
    serialize: (value: T) => Buffer.from(type.encode(type.fromObject(value as Record<string, unknown>)).finish()),
    deserialize: (bytes: Buffer) => type.toObject(type.decode(bytes), DECODE) as T,
  };
}
