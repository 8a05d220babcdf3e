/* The table of RPCs, built once from the protoc-c service descriptors so that adding an
 * rpc to a .proto is the only change needed for the CLI and the fuzzers to know it. */
#include "protocols/methods.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "health.pb-c.h"

static const ProtobufCServiceDescriptor *const services[] = {
    &grpc__health__descriptor,
    &grpc__agent_service__descriptor,
};

static kata_rpc_method *table;
static size_t table_len;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
        size_t n = 0;
        for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
                n += services[i]->n_methods;
        table = calloc(n, sizeof(*table));
        if (!table)
                return;
        for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
                const ProtobufCServiceDescriptor *svc = services[i];
                for (unsigned m = 0; m < svc->n_methods; m++) {
                        table[table_len].service = svc->name;
                        table[table_len].name = svc->methods[m].name;
                        table[table_len].input = svc->methods[m].input;
                        table[table_len].output = svc->methods[m].output;
                        table_len++;
                }
        }
}

size_t kata_rpc_methods(const kata_rpc_method **out)
{
        pthread_once(&table_once, build_table);
        *out = table;
        return table_len;
}

int kata_rpc_method_find(const char *name, const kata_rpc_method **out, kata_error *err)
{
        const kata_rpc_method *methods;
        size_t n = kata_rpc_methods(&methods);
        const char *sep = strrchr(name, '/');
        if (!sep)
                sep = strrchr(name, '.');
        size_t svc_len = sep ? (size_t)(sep - name) : 0;
        const char *bare = sep ? sep + 1 : name;
        const kata_rpc_method *found = NULL;

        for (size_t i = 0; i < n; i++) {
                if (strcmp(methods[i].name, bare) != 0)
                        continue;
                if (sep && (strlen(methods[i].service) != svc_len ||
                            strncmp(methods[i].service, name, svc_len) != 0))
                        continue;
                if (found)
                        return kata_error_set(err, EINVAL,
                                              "method '%s' exists in %s and %s: qualify it", name,
                                              found->service, methods[i].service);
                found = &methods[i];
        }
        if (!found)
                return kata_error_set(err, ENOENT, "unknown method '%s' (--list names them)", name);
        *out = found;
        return 0;
}
