/* Text and JSON output of a check report and of the check list. */
#include <string.h>

#include "check/internal.h"

static const char *color_of(enum kata_check_status s, bool color)
{
        if (!color)
                return "";
        switch (s) {
        case KATA_CHECK_PASS:
                return "\033[32m";
        case KATA_CHECK_WARN:
                return "\033[33m";
        case KATA_CHECK_FAIL:
                return "\033[31m";
        case KATA_CHECK_SKIP:
                return "\033[90m";
        }
        return "";
}

static void print_status(FILE *out, enum kata_check_status s, bool color)
{
        fprintf(out, "%s%s%s", color_of(s, color), kata_check_status_name(s),
                color ? "\033[0m" : "");
}

static void print_check(FILE *out, const struct kata_check_result *r, const char *hypervisor,
                        bool color)
{
        enum kata_requirement level = kata_hypervisor_requirement(hypervisor, r->id);
        fprintf(out, "  %-24s %-44s %c: ", r->id, r->description,
                level == KATA_REQ_REQUIRED ? '*' : ' ');
        print_status(out, r->status, color);
        fprintf(out, " (%s)\n", r->details);
        if (r->hint[0] && r->status != KATA_CHECK_PASS)
                fprintf(out, "  %-24s hint: %s\n", "", r->hint);
}

static const char *closing_line(const struct kata_check_verdict *v, bool strict)
{
        bool ok = kata_check_exit_code(v, strict) == 0;
        return ok ? "System is capable of running Kata Containers"
                  : "System is not capable of running Kata Containers";
}

void kata_check_print(FILE *out, const struct kata_check_report *report, const char *hypervisor,
                      bool strict, enum kata_check_verbosity verbosity, bool color)
{
        struct kata_check_verdict selected;
        if (kata_check_verdict(report, hypervisor, &selected, NULL) < 0)
                return;
        if (verbosity == KATA_CHECK_QUIET) {
                for (size_t i = 0; i < report->count; i++) {
                        const struct kata_check_result *r = &report->results[i];
                        enum kata_requirement level =
                            kata_hypervisor_requirement(hypervisor, r->id);
                        bool fails = r->status == KATA_CHECK_FAIL && level == KATA_REQ_REQUIRED;
                        bool strict_warn =
                            strict && level != KATA_REQ_NONE &&
                            (r->status == KATA_CHECK_WARN || r->status == KATA_CHECK_FAIL);
                        if (fails || strict_warn)
                                print_check(out, r, hypervisor, color);
                }
                return;
        }
        size_t shown = 0;
        for (size_t i = 0; i < report->count; i++) {
                const struct kata_check_result *r = &report->results[i];
                if (verbosity == KATA_CHECK_VERBOSE || r->status == KATA_CHECK_WARN ||
                    r->status == KATA_CHECK_FAIL) {
                        if (shown++ == 0)
                                fprintf(out, "Host checks (* = required for %s):\n", hypervisor);
                        print_check(out, &report->results[i], hypervisor, color);
                }
        }
        if (shown == 0)
                fprintf(out, "All %zu host checks pass.\n", report->count);

        fprintf(out, "\nKVM: %s, flavour %s: %s\n", kata_kvm_probe_outcome_name(report->info.kvm),
                kata_kvm_flavour_name(report->info.flavour),
                kata_kvm_flavour_meaning(report->info.flavour));
        fprintf(out, "\nVerdicts:\n");
        for (size_t i = 0; i < kata_hypervisor_count(); i++) {
                struct kata_check_verdict v;
                const char *name = kata_hypervisor_name(i);
                if (kata_check_verdict(report, name, &v, NULL) < 0)
                        continue;
                fprintf(out, "%s %-12s ", strcmp(name, hypervisor) == 0 ? "*" : " ", name);
                print_status(out, v.status, color);
                fprintf(out, "  %s\n", v.summary);
        }
        fprintf(out, "\n%s (hypervisor %s)\n", closing_line(&selected, strict), hypervisor);
        if (report->as_root && kata_check_exit_code(&selected, strict) == 0)
                fprintf(out, "System can currently create Kata Containers\n");
}

json_object *kata_check_report_to_json(const struct kata_check_report *report,
                                       const char *hypervisor, bool strict)
{
        struct kata_check_verdict selected;
        if (kata_check_verdict(report, hypervisor, &selected, NULL) < 0)
                return NULL;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "hypervisor", json_object_new_string(hypervisor));
        json_object_object_add(o, "strict", json_object_new_boolean(strict));
        json_object *checks = json_object_new_array();
        for (size_t i = 0; i < report->count; i++) {
                const struct kata_check_result *r = &report->results[i];
                json_object *c = json_object_new_object();
                json_object_object_add(c, "id", json_object_new_string(r->id));
                json_object_object_add(c, "description", json_object_new_string(r->description));
                json_object_object_add(c, "status",
                                       json_object_new_string(kata_check_status_name(r->status)));
                json_object_object_add(c, "hint", json_object_new_string(r->hint));
                json_object_object_add(c, "details", json_object_new_string(r->details));
                json_object_object_add(c, "requirement",
                                       json_object_new_string(kata_requirement_name(
                                           kata_hypervisor_requirement(hypervisor, r->id))));
                json_object_array_add(checks, c);
        }
        json_object_object_add(o, "checks", checks);
        json_object *verdicts = json_object_new_array();
        for (size_t i = 0; i < kata_hypervisor_count(); i++) {
                struct kata_check_verdict v;
                const char *name = kata_hypervisor_name(i);
                if (kata_check_verdict(report, name, &v, NULL) < 0)
                        continue;
                json_object *vo = json_object_new_object();
                json_object_object_add(vo, "hypervisor", json_object_new_string(name));
                json_object_object_add(vo, "status",
                                       json_object_new_string(kata_check_status_name(v.status)));
                json_object_object_add(vo, "summary", json_object_new_string(v.summary));
                json_object_object_add(vo, "selected",
                                       json_object_new_boolean(strcmp(name, hypervisor) == 0));
                json_object_array_add(verdicts, vo);
        }
        json_object_object_add(o, "verdicts", verdicts);
        bool capable = kata_check_exit_code(&selected, strict) == 0;
        json_object_object_add(o, "capable", json_object_new_boolean(capable));
        json_object_object_add(o, "can_create",
                               json_object_new_boolean(capable && report->as_root));
        json_object_object_add(o, "exit_code",
                               json_object_new_int(kata_check_exit_code(&selected, strict)));
        json_object_object_add(o, "host", kata_host_info_to_json(&report->info));
        return o;
}

void kata_check_list_print(FILE *out)
{
        fprintf(out, "%-24s %-44s", "CHECK", "DESCRIPTION");
        for (size_t h = 0; h < kata_hypervisor_count(); h++)
                fprintf(out, h + 1 < kata_hypervisor_count() ? " %-11s" : " %s",
                        kata_hypervisor_name(h));
        fprintf(out, "\n");
        for (size_t i = 0; i < kata_check_count(); i++) {
                fprintf(out, "%-24s %-44s", kata_check_id(i), kata_check_description(i));
                for (size_t h = 0; h < kata_hypervisor_count(); h++)
                        fprintf(out, h + 1 < kata_hypervisor_count() ? " %-11s" : " %s",
                                kata_requirement_name(kata_hypervisor_requirement(
                                    kata_hypervisor_name(h), kata_check_id(i))));
                fprintf(out, "\n");
        }
        fprintf(out, "\nrequired: a FAIL stops that hypervisor; advisory: a problem is a WARN; "
                     "-: informational.\n");
}

json_object *kata_check_list_to_json(void)
{
        json_object *o = json_object_new_object();
        json_object *hvs = json_object_new_array();
        for (size_t h = 0; h < kata_hypervisor_count(); h++)
                json_object_array_add(hvs, json_object_new_string(kata_hypervisor_name(h)));
        json_object_object_add(o, "hypervisors", hvs);
        json_object *checks = json_object_new_array();
        for (size_t i = 0; i < kata_check_count(); i++) {
                json_object *c = json_object_new_object();
                json_object_object_add(c, "id", json_object_new_string(kata_check_id(i)));
                json_object_object_add(c, "description",
                                       json_object_new_string(kata_check_description(i)));
                json_object *req = json_object_new_object();
                for (size_t h = 0; h < kata_hypervisor_count(); h++)
                        json_object_object_add(
                            req, kata_hypervisor_name(h),
                            json_object_new_string(
                                kata_requirement_name(kata_hypervisor_requirement(
                                    kata_hypervisor_name(h), kata_check_id(i)))));
                json_object_object_add(c, "requirements", req);
                json_object_array_add(checks, c);
        }
        json_object_object_add(o, "checks", checks);
        return o;
}
