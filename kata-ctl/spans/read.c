/* kata_trace:span events of a CTF trace into a span set, with libbabeltrace2:
 * one source.ctf.fs per physical trace directory (it does not recurse) -> filter.utils.muxer
 * -> a simple sink that copies each event's payload fields. */
#include <babeltrace2/babeltrace.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spans.h"

#define MAX_TRACE_DIRS 4096

struct dir_list {
        char **paths;
        size_t n;
        bool overflow;
};

static struct dir_list *walk_list; /* nftw has no user pointer */

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        if (type != FTW_F || strcmp(path + ftw->base, "metadata") != 0)
                return 0;
        if (walk_list->n >= MAX_TRACE_DIRS) {
                walk_list->overflow = true;
                return 1;
        }
        char *dir = strndup(path, ftw->base > 0 ? (size_t)ftw->base - 1 : 0);
        if (!dir)
                return -1;
        walk_list->paths[walk_list->n++] = dir;
        return 0;
}

static void dir_list_free(struct dir_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->paths[i]);
        free(l->paths);
}

/* Every directory under root holding a CTF "metadata" file. */
static int find_trace_dirs(const char *root, struct dir_list *out, kata_error *err)
{
        struct stat st;
        if (stat(root, &st) < 0)
                return kata_error_errno(err, errno, "%s", root);
        if (!S_ISDIR(st.st_mode))
                return kata_error_set(err, ENOTDIR, "%s: not a directory", root);
        out->paths = calloc(MAX_TRACE_DIRS, sizeof(char *));
        if (!out->paths)
                return kata_error_errno(err, ENOMEM, "trace directories");
        walk_list = out;
        int r = nftw(root, walk_one, 16, FTW_PHYS);
        walk_list = NULL;
        if (r < 0)
                return kata_error_errno(err, errno ? errno : ENOMEM, "%s: walking the trace", root);
        if (out->overflow)
                return kata_error_set(err, E2BIG, "%s: more than %d CTF traces", root,
                                      MAX_TRACE_DIRS);
        if (out->n == 0)
                return kata_error_set(
                    err, ENOENT, "%s: no CTF trace (no 'metadata' file in any directory)", root);
        return 0;
}

struct sink_ctx {
        kata_span_set *set;
        kata_error *err;
        int status;
        size_t events;
        char *scratch; /* one event's strings, NUL-terminated copies */
        size_t scratch_cap;
};

/* The string fields of the event, copied NUL-terminated into ctx->scratch (missing ones
 * stay NULL). Bounded by each field's length, not its NUL: libbabeltrace2 2.0.4 (Debian 12)
 * empties a string field by setting its length to 0 without terminating the buffer, so an
 * empty string (a root span's parent_span_id) reads back, through
 * bt_field_string_get_value(), as the text an earlier event left in the recycled field. */
#define N_STRINGS 9
static const char *const string_names[N_STRINGS] = {"trace_id",     "span_id", "parent_span_id",
                                                    "name",         "source",  "sandbox_id",
                                                    "container_id", "status",  "attributes"};

static int copy_strings(struct sink_ctx *ctx, const bt_field *payload, const char *out[N_STRINGS])
{
        const bt_field *fields[N_STRINGS];
        uint64_t lens[N_STRINGS];
        size_t total = 0;
        for (size_t i = 0; i < N_STRINGS; i++) {
                const bt_field *f =
                    bt_field_structure_borrow_member_field_by_name_const(payload, string_names[i]);
                fields[i] =
                    f && bt_field_get_class_type(f) == BT_FIELD_CLASS_TYPE_STRING ? f : NULL;
                lens[i] = fields[i] ? bt_field_string_get_length(fields[i]) : 0;
                total += (size_t)lens[i] + 1;
        }
        if (total > ctx->scratch_cap) {
                size_t cap = total < 4096 ? 4096 : total * 2;
                char *n = realloc(ctx->scratch, cap);
                if (!n)
                        return kata_error_errno(ctx->err, ENOMEM, "span fields");
                ctx->scratch = n;
                ctx->scratch_cap = cap;
        }
        char *p = ctx->scratch;
        for (size_t i = 0; i < N_STRINGS; i++) {
                out[i] = NULL;
                if (!fields[i])
                        continue;
                const char *v = lens[i] ? bt_field_string_get_value(fields[i]) : "";
                memcpy(p, v, (size_t)lens[i]);
                p[lens[i]] = 0;
                out[i] = p;
                p += lens[i] + 1;
        }
        return 0;
}

static bool u64_field(const bt_field *payload, const char *name, uint64_t *out)
{
        const bt_field *f = bt_field_structure_borrow_member_field_by_name_const(payload, name);
        if (!f)
                return false;
        bt_field_class_type t = bt_field_get_class_type(f);
        if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER)) {
                *out = bt_field_integer_unsigned_get_value(f);
                return true;
        }
        if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER)) {
                int64_t v = bt_field_integer_signed_get_value(f);
                *out = v < 0 ? 0 : (uint64_t)v;
                return true;
        }
        return false;
}

static int take_event(struct sink_ctx *ctx, const bt_message *msg)
{
        const bt_event *ev = bt_message_event_borrow_event_const(msg);
        const bt_event_class *ec = bt_event_borrow_class_const(ev);
        const char *event_name = bt_event_class_get_name(ec);
        if (!event_name || strcmp(event_name, KATA_SPANS_EVENT_NAME) != 0)
                return 0;
        ctx->events++;
        const bt_field *payload = bt_event_borrow_payload_field_const(ev);
        if (!payload || bt_field_get_class_type(payload) != BT_FIELD_CLASS_TYPE_STRUCTURE) {
                ctx->set->invalid++;
                return 0;
        }
        const char *str[N_STRINGS];
        int r = copy_strings(ctx, payload, str);
        if (r < 0)
                return r;
        kata_span_fields f = {.trace_id = str[0],
                              .span_id = str[1],
                              .parent_span_id = str[2],
                              .name = str[3],
                              .source = str[4],
                              .sandbox_id = str[5],
                              .container_id = str[6],
                              .status = str[7],
                              .attributes = str[8]};
        if (!u64_field(payload, "start_ns", &f.start_ns) ||
            !u64_field(payload, "end_ns", &f.end_ns)) {
                ctx->set->invalid++;
                return 0;
        }
        return kata_span_set_add(ctx->set, &f, ctx->err);
}

static bt_graph_simple_sink_component_consume_func_status sink_consume(bt_message_iterator *it,
                                                                       void *data)
{
        struct sink_ctx *ctx = data;
        bt_message_array_const msgs;
        uint64_t count = 0;
        switch (bt_message_iterator_next(it, &msgs, &count)) {
        case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
                break;
        case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
                return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
        case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
                return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
        case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
                return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
        default:
                return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
        }
        int r = 0;
        for (uint64_t i = 0; i < count; i++) {
                bt_message_type type = bt_message_get_type(msgs[i]);
                if (r == 0 && type == BT_MESSAGE_TYPE_EVENT) {
                        r = take_event(ctx, msgs[i]);
                } else if (type == BT_MESSAGE_TYPE_DISCARDED_EVENTS) {
                        /* LTTng's buffers were full: spans are missing from the trace. */
                        uint64_t n = 0;
                        if (bt_message_discarded_events_get_count(msgs[i], &n) ==
                                BT_PROPERTY_AVAILABILITY_AVAILABLE &&
                            n > 0)
                                ctx->set->lost += n;
                        else
                                ctx->set->lost_unknown = true;
                }
                bt_message_put_ref(msgs[i]);
        }
        if (r < 0) {
                ctx->status = r;
                return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
        }
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

/* The first message of babeltrace's error chain, so that a broken trace says why. */
static const char *bt_cause(void)
{
        static char buf[512];
        const bt_error *e = bt_current_thread_take_error();
        if (!e)
                return "babeltrace2 error";
        buf[0] = 0;
        if (bt_error_get_cause_count(e) > 0) {
                const bt_error_cause *c = bt_error_borrow_cause_by_index(e, 0);
                snprintf(buf, sizeof(buf), "%s", bt_error_cause_get_message(c));
        }
        bt_error_release(e);
        return buf[0] ? buf : "babeltrace2 error";
}

static int find_class(const char *plugin_name, const bt_plugin **plugin, kata_error *err)
{
        if (bt_plugin_find(plugin_name, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, plugin) !=
                BT_PLUGIN_FIND_STATUS_OK ||
            !*plugin)
                return kata_error_set(err, ENOENT,
                                      "babeltrace2 plugin '%s' not found (install babeltrace2)",
                                      plugin_name);
        return 0;
}

static int build_graph(const struct dir_list *dirs, struct sink_ctx *ctx, bt_graph **out,
                       kata_error *err)
{
        const bt_plugin *ctf = NULL, *utils = NULL;
        bt_graph *graph = NULL;
        int r = find_class("ctf", &ctf, err);
        if (r == 0)
                r = find_class("utils", &utils, err);
        if (r < 0)
                goto out;
        const bt_component_class_source *fs =
            bt_plugin_borrow_source_component_class_by_name_const(ctf, "fs");
        const bt_component_class_filter *mux =
            bt_plugin_borrow_filter_component_class_by_name_const(utils, "muxer");
        if (!fs || !mux) {
                r = kata_error_set(err, ENOENT,
                                   "babeltrace2: source.ctf.fs or filter.utils.muxer "
                                   "missing");
                goto out;
        }
        graph = bt_graph_create(0);
        if (!graph) {
                r = kata_error_errno(err, ENOMEM, "babeltrace2 graph");
                goto out;
        }
        const bt_component_filter *muxer = NULL;
        const bt_component_sink *sink = NULL;
        if (bt_graph_add_filter_component(graph, mux, "muxer", NULL, BT_LOGGING_LEVEL_NONE,
                                          &muxer) != BT_GRAPH_ADD_COMPONENT_STATUS_OK ||
            bt_graph_add_simple_sink_component(graph, "spans", NULL, sink_consume, NULL, ctx,
                                               &sink) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
                r = kata_error_set(err, EIO, "babeltrace2: %s", bt_cause());
                goto out;
        }
        for (size_t i = 0; i < dirs->n; i++) {
                bt_value *params = bt_value_map_create();
                bt_value *inputs = NULL;
                const bt_component_source *src = NULL;
                char name[32];
                snprintf(name, sizeof(name), "ctf%zu", i);
                bt_value_map_insert_entry_status st =
                    params ? bt_value_map_insert_empty_array_entry(params, "inputs", &inputs)
                           : BT_VALUE_MAP_INSERT_ENTRY_STATUS_MEMORY_ERROR;
                if (st != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK ||
                    bt_value_array_append_string_element(inputs, dirs->paths[i]) !=
                        BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK) {
                        bt_value_put_ref(params);
                        r = kata_error_errno(err, ENOMEM, "babeltrace2 parameters");
                        goto out;
                }
                bt_graph_add_component_status ast = bt_graph_add_source_component(
                    graph, fs, name, params, BT_LOGGING_LEVEL_NONE, &src);
                bt_value_put_ref(params);
                if (ast != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
                        r = kata_error_set(err, EIO, "%s: not a readable CTF trace: %s",
                                           dirs->paths[i], bt_cause());
                        goto out;
                }
                uint64_t ports = bt_component_source_get_output_port_count(src);
                for (uint64_t p = 0; p < ports; p++) {
                        const bt_port_output *o =
                            bt_component_source_borrow_output_port_by_index_const(src, p);
                        /* The muxer always offers one free input port: its last. */
                        uint64_t n_in = bt_component_filter_get_input_port_count(muxer);
                        const bt_port_input *in =
                            bt_component_filter_borrow_input_port_by_index_const(muxer, n_in - 1);
                        if (bt_graph_connect_ports(graph, o, in, NULL) !=
                            BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
                                r = kata_error_set(err, EIO, "babeltrace2: %s", bt_cause());
                                goto out;
                        }
                }
        }
        const bt_port_output *mux_out =
            bt_component_filter_borrow_output_port_by_name_const(muxer, "out");
        const bt_port_input *sink_in =
            bt_component_sink_borrow_input_port_by_name_const(sink, "in");
        if (!mux_out || !sink_in ||
            bt_graph_connect_ports(graph, mux_out, sink_in, NULL) !=
                BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
                r = kata_error_set(err, EIO, "babeltrace2: %s", bt_cause());
                goto out;
        }
        *out = graph;
        graph = NULL;
out:
        bt_graph_put_ref(graph);
        bt_plugin_put_ref(ctf);
        bt_plugin_put_ref(utils);
        return r;
}

int kata_spans_read_ctf(const char *dir, kata_span_set *set, kata_error *err)
{
        struct dir_list dirs = {0};
        bt_graph *graph = NULL;
        struct sink_ctx ctx = {.set = set, .err = err};
        int r = find_trace_dirs(dir, &dirs, err);
        if (r == 0)
                r = build_graph(&dirs, &ctx, &graph, err);
        while (r == 0) {
                bt_graph_run_status st = bt_graph_run(graph);
                if (st == BT_GRAPH_RUN_STATUS_OK)
                        break;
                if (st == BT_GRAPH_RUN_STATUS_AGAIN)
                        continue;
                if (ctx.status < 0) {
                        bt_current_thread_clear_error();
                        r = ctx.status;
                } else
                        r = kata_error_set(err, EIO, "%s: reading the trace: %s", dir, bt_cause());
        }
        bt_graph_put_ref(graph);
        dir_list_free(&dirs);
        free(ctx.scratch);
        if (r == 0)
                r = kata_span_set_build(set, err);
        return r;
}
