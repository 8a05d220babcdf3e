/* libkata-check: every host check, table-driven.
 *
 * Each check has a stable id ("kvm.create-vm"), a description, and produces a status,
 * a one-line hint with the remedy and details. Every check runs whatever the
 * hypervisor; a hypervisor's requirement set only decides which checks must pass
 * (required: FAIL stops it) and which are advisory (a problem is a WARN).
 *
 * Where things are: the table is check/registry.c; the checks by role in
 * checks_cpu.c, checks_kvm.c, checks_kernel.c, checks_devices.c, checks_namespaces.c,
 * checks_cgroups.c, checks_platform.c (IOMMU, secure guests, incompatible hypervisors);
 * requirement sets in requirements.c; text and JSON output in output.c. */
#ifndef KATA_CHECK_CHECK_H
#define KATA_CHECK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "check/host.h"
#include "common/error.h"

enum kata_check_status {
        KATA_CHECK_PASS = 0,
        KATA_CHECK_WARN,
        KATA_CHECK_FAIL,
        KATA_CHECK_SKIP,
};

struct kata_check_result {
        const char *id;
        const char *description;
        enum kata_check_status status;
        char hint[256];    /* the remedy, "" when nothing to do */
        char details[512]; /* what was found */
};

struct kata_check_report {
        struct kata_check_result *results; /* in table order */
        size_t count;
        struct kata_host_info info;
        bool as_root;
};

/* Runs every check against host. */
int kata_check_run(struct kata_host *host, struct kata_check_report *report, kata_error *err);
void kata_check_report_free(struct kata_check_report *report);
/* NULL when no check has that id. */
const struct kata_check_result *kata_check_find(const struct kata_check_report *report,
                                                const char *id);

/* The table: ids and descriptions, for `check list`. */
size_t kata_check_count(void);
const char *kata_check_id(size_t index);
const char *kata_check_description(size_t index);

const char *kata_check_status_name(enum kata_check_status s); /* "PASS"... */

/* Requirement sets. */
enum kata_requirement {
        KATA_REQ_NONE = 0, /* informational for this hypervisor */
        KATA_REQ_ADVISORY,
        KATA_REQ_REQUIRED,
};

size_t kata_hypervisor_count(void);
const char *kata_hypervisor_name(size_t index); /* qemu, firecracker, clh, dragonball, local */
bool kata_hypervisor_is_known(const char *name);
enum kata_requirement kata_hypervisor_requirement(const char *hypervisor, const char *check_id);
const char *kata_requirement_name(enum kata_requirement r); /* "required", "advisory", "-" */

struct kata_check_verdict {
        const char *hypervisor;
        enum kata_check_status status; /* PASS, WARN or FAIL */
        char summary[512];             /* which checks failed or warned, and what it means */
};

/* Verdict of one hypervisor over a report. Returns -EINVAL for an unknown hypervisor. */
int kata_check_verdict(const struct kata_check_report *report, const char *hypervisor,
                       struct kata_check_verdict *out, kata_error *err);

/* The exit code `kata-ctl check` gives: 0 when every required check of the hypervisor
 * passes (WARN too unless strict), else 1. */
int kata_check_exit_code(const struct kata_check_verdict *verdict, bool strict);

/* Output. */
enum kata_check_verbosity {
        KATA_CHECK_QUIET = 0, /* only failures of the selected hypervisor */
        KATA_CHECK_NORMAL,    /* problems, verdicts, closing lines */
        KATA_CHECK_VERBOSE,   /* one aligned line per check */
};

void kata_check_print(FILE *out, const struct kata_check_report *report, const char *hypervisor,
                      bool strict, enum kata_check_verbosity verbosity, bool color);

/* {"hypervisor": ..., "strict": ..., "checks": [{id, description, status, hint, details,
 * "requirement"}], "verdicts": [{hypervisor, status, summary, selected}], "capable",
 * "can_create", "host": kata_host_info_to_json} */
json_object *kata_check_report_to_json(const struct kata_check_report *report,
                                       const char *hypervisor, bool strict);

/* `check list`: every check with its requirement per hypervisor. */
void kata_check_list_print(FILE *out);
json_object *kata_check_list_to_json(void);

#endif
