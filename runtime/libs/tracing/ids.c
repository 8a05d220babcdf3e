#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tracing/ids.h"

/* Ids only need to be unique and unpredictable enough not to collide, so a fast
 * per-thread generator seeded from the kernel is enough; getrandom per span would cost a
 * system call on the hot path. */
struct id_rng {
        uint64_t s[4];
        unsigned generation;
        int seeded;
};

static _Thread_local struct id_rng rng;
static atomic_uint fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
        atomic_fetch_add(&fork_generation, 1);
}

static void register_atfork(void)
{
        pthread_atfork(NULL, NULL, on_fork_child);
}

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static void rng_seed(void)
{
        uint64_t seed[4];
        pthread_once(&atfork_once, register_atfork);
        ssize_t n = getrandom(seed, sizeof(seed), GRND_NONBLOCK);
        if (n != (ssize_t)sizeof(seed)) {
                /* Early boot in a guest may have no entropy yet: fall back to clocks and
                 * addresses, still unique per thread and process. */
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
                             (uint64_t)(uintptr_t)&rng ^ (uint64_t)pthread_self();
                for (int i = 0; i < 4; i++)
                        seed[i] = splitmix64(&x);
        }
        memcpy(rng.s, seed, sizeof(seed));
        if (!(rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]))
                rng.s[0] = 1;
        rng.generation = atomic_load_explicit(&fork_generation, memory_order_relaxed);
        rng.seeded = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
        if (__builtin_expect(!rng.seeded ||
                                 rng.generation !=
                                     atomic_load_explicit(&fork_generation, memory_order_relaxed),
                             0))
                rng_seed();
        uint64_t *s = rng.s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

static void fill_nonzero(uint8_t *id, size_t len)
{
        do {
                for (size_t off = 0; off < len; off += 8) {
                        uint64_t r = rng_next();
                        memcpy(id + off, &r, len - off < 8 ? len - off : 8);
                }
        } while (kata_id_bytes_zero(id, len));
}

void kata_trace_id_generate(uint8_t id[KATA_TRACE_ID_LEN])
{
        fill_nonzero(id, KATA_TRACE_ID_LEN);
}

void kata_span_id_generate(uint8_t id[KATA_SPAN_ID_LEN])
{
        fill_nonzero(id, KATA_SPAN_ID_LEN);
}

bool kata_id_bytes_zero(const uint8_t *id, size_t len)
{
        uint8_t acc = 0;
        for (size_t i = 0; i < len; i++)
                acc |= id[i];
        return acc == 0;
}

void kata_hex_encode(const uint8_t *id, size_t len, char *out)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < len; i++) {
                out[2 * i] = digits[id[i] >> 4];
                out[2 * i + 1] = digits[id[i] & 0xf];
        }
        out[2 * len] = '\0';
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int kata_hex_decode(const char *hex, size_t len, uint8_t *out)
{
        for (size_t i = 0; i < len; i++) {
                int hi = hex_value(hex[2 * i]);
                int lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

void kata_traceparent_format(const kata_span_context *ctx, char *out)
{
        out[0] = '0';
        out[1] = '0';
        out[2] = '-';
        kata_hex_encode(ctx->trace_id, KATA_TRACE_ID_LEN, out + 3);
        out[35] = '-';
        kata_hex_encode(ctx->span_id, KATA_SPAN_ID_LEN, out + 36);
        out[52] = '-';
        uint8_t flags = ctx->flags;
        kata_hex_encode(&flags, 1, out + 53);
}

static bool all_lower_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return true;
}

int kata_traceparent_parse(const char *s, kata_span_context *out, kata_error *err)
{
        if (!s)
                return kata_error_set(err, EINVAL, "traceparent: missing");
        size_t len = strnlen(s, 1024);
        if (len < KATA_TRACEPARENT_LEN)
                return kata_error_set(err, EINVAL, "traceparent: %zu characters, want %d", len,
                                      KATA_TRACEPARENT_LEN);
        /* W3C: lower-case hex only, dashes at fixed places. */
        if (!all_lower_hex(s, 2) || s[2] != '-' || !all_lower_hex(s + 3, 32) || s[35] != '-' ||
            !all_lower_hex(s + 36, 16) || s[52] != '-' || !all_lower_hex(s + 53, 2))
                return kata_error_set(err, EINVAL,
                                      "traceparent: not version-traceid-spanid-flags in "
                                      "lower-case hex: '%.60s'",
                                      s);
        if (s[0] == 'f' && s[1] == 'f')
                return kata_error_set(err, EINVAL, "traceparent: version ff is invalid");
        bool v00 = s[0] == '0' && s[1] == '0';
        if (len != KATA_TRACEPARENT_LEN && (v00 || s[KATA_TRACEPARENT_LEN] != '-'))
                return kata_error_set(err, EINVAL, "traceparent: trailing characters");
        kata_span_context ctx;
        kata_hex_decode(s + 3, KATA_TRACE_ID_LEN, ctx.trace_id);
        kata_hex_decode(s + 36, KATA_SPAN_ID_LEN, ctx.span_id);
        kata_hex_decode(s + 53, 1, &ctx.flags);
        if (kata_id_bytes_zero(ctx.trace_id, KATA_TRACE_ID_LEN))
                return kata_error_set(err, EINVAL, "traceparent: trace id is all zeros");
        if (kata_id_bytes_zero(ctx.span_id, KATA_SPAN_ID_LEN))
                return kata_error_set(err, EINVAL, "traceparent: parent id is all zeros");
        *out = ctx;
        return 0;
}
