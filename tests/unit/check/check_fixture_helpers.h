/* Helpers for the check unit tests: load a fixture host, run every check, assert. */
#ifndef KATA_TEST_CHECK_FIXTURE_HELPERS_H
#define KATA_TEST_CHECK_FIXTURE_HELPERS_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check/check.h"

static inline void fixture_root(const char *name, char *buf, size_t size)
{
        const char *src = getenv("KATA_SOURCE_DIR");
        snprintf(buf, size, "%s/tests/fixtures/hosts/%s", src ? src : ".", name);
}

static inline void fixture_host(const char *name, struct kata_host *host)
{
        char root[PATH_MAX];
        fixture_root(name, root, sizeof(root));
        kata_error err = KATA_ERROR_INIT;
        if (kata_host_init(host, root, &err) < 0)
                fail_msg("fixture %s: %s", name, err.msg);
}

static inline void run_checks(struct kata_host *host, struct kata_check_report *rep)
{
        kata_error err = KATA_ERROR_INIT;
        if (kata_check_run(host, rep, &err) < 0)
                fail_msg("kata_check_run: %s", err.msg);
}

static inline void run_fixture(const char *name, struct kata_host *host,
                               struct kata_check_report *rep)
{
        fixture_host(name, host);
        run_checks(host, rep);
}

static inline const struct kata_check_result *
expect_status(const struct kata_check_report *rep, const char *id, enum kata_check_status want)
{
        const struct kata_check_result *r = kata_check_find(rep, id);
        if (!r)
                fail_msg("no check %s", id);
        if (r->status != want)
                fail_msg("%s: expected %s, got %s (%s; hint: %s)", id, kata_check_status_name(want),
                         kata_check_status_name(r->status), r->details, r->hint);
        return r;
}

static inline void expect_text(const char *what, const char *text, const char *needle)
{
        if (!strstr(text, needle))
                fail_msg("%s '%s' does not contain '%s'", what, text, needle);
}

/* Verdict for hypervisor and the exit code `kata-ctl check` would give, with and
 * without --strict. */
static inline void expect_verdict(const struct kata_check_report *rep, const char *hypervisor,
                                  enum kata_check_status want, int exit_code, int strict_exit_code)
{
        struct kata_check_verdict v;
        kata_error err = KATA_ERROR_INIT;
        if (kata_check_verdict(rep, hypervisor, &v, &err) < 0)
                fail_msg("verdict %s: %s", hypervisor, err.msg);
        if (v.status != want)
                fail_msg("%s: expected verdict %s, got %s (%s)", hypervisor,
                         kata_check_status_name(want), kata_check_status_name(v.status), v.summary);
        assert_int_equal(kata_check_exit_code(&v, false), exit_code);
        assert_int_equal(kata_check_exit_code(&v, true), strict_exit_code);
}

static inline void done(struct kata_host *host, struct kata_check_report *rep)
{
        kata_check_report_free(rep);
        kata_host_free(host);
}

#endif
