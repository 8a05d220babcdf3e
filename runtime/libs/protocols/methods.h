/* The RPCs this project's agent speaks, from the generated service descriptors: one table
 * for the CLI (`kata-ctl agent --list`, name lookup), servers and the fuzzers. */
#ifndef KATA_PROTOCOLS_METHODS_H
#define KATA_PROTOCOLS_METHODS_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "common/error.h"

#define KATA_AGENT_SERVICE  "grpc.AgentService"
#define KATA_HEALTH_SERVICE "grpc.Health"

typedef struct kata_rpc_method {
        const char *service; /* "grpc.AgentService" */
        const char *name;    /* "CreateContainer" */
        const ProtobufCMessageDescriptor *input;
        const ProtobufCMessageDescriptor *output;
} kata_rpc_method;

/* Every method of every service, in .proto order (Health first). */
size_t kata_rpc_methods(const kata_rpc_method **out);

/* Finds a method by "Name", "service.Name" ("grpc.Health.Check") or "service/Name".
 * -ENOENT for an unknown name (the message suggests --list), -EINVAL when a bare name is
 * ambiguous between services. */
int kata_rpc_method_find(const char *name, const kata_rpc_method **out, kata_error *err);

#endif
