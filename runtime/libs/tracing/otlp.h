/* OTLP protobuf (ExportTraceServiceRequest) to and from span records, and a wire-format
 * check that validates a request without unpacking it (the forwarder's pass-through). */
#ifndef KATA_TRACING_OTLP_H
#define KATA_TRACING_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "tracing/record.h"

/* Serializes spans as one ExportTraceServiceRequest: one ResourceSpans whose resource
 * carries service.name "kata-<source>" and kata.source, one ScopeSpans. sandbox_id and
 * container_id travel as span attributes kata.sandbox_id / kata.container_id.
 * *out is malloc'd. */
int kata_otlp_encode(const kata_span_record *const *recs, size_t n, const char *source,
                     uint8_t **out, size_t *out_len, kata_error *err);

/* Attributes per span in encoded and decoded records (ids included); more are dropped
 * and counted in dropped_attributes_count. */
#define KATA_SPAN_MAX_ENCODED_ATTRS 32

typedef void (*kata_otlp_span_fn)(const kata_span_record *rec, void *ctx);

/* Unpacks a request (protobuf-c) and calls fn once per span. The record's strings live
 * until fn returns. source comes from the resource's kata.source attribute ("" if none).
 * Returns the number of spans, or a negative errno with err set (garbage protobuf, ids
 * of the wrong length). Nothing is passed to fn when the request is invalid. */
int kata_otlp_decode(const uint8_t *buf, size_t len, kata_otlp_span_fn fn, void *ctx,
                     kata_error *err);

/* Checks that buf is a well-formed ExportTraceServiceRequest down to each Span (tags,
 * wire types and lengths of every known field, id sizes) without allocating. Returns the
 * number of spans or -EBADMSG with err naming what was wrong. */
int64_t kata_otlp_wire_check(const uint8_t *buf, size_t len, kata_error *err);

#endif
