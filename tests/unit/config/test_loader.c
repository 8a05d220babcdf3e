/* The configuration loader: sections, schema, warnings with line numbers, errors with
 * file:line, the lookup order and the built-in defaults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"

static void parse_ok(const char *text, struct kata_config *cfg)
{
        kata_error err = KATA_ERROR_INIT;
        int r = kata_config_parse_buffer("cfg.toml", text, strlen(text), cfg, &err);
        if (r != 0)
                fail_msg("parse failed: %s", err.msg);
}

/* The load must fail with exactly this message. */
static void expect_error(const char *text, const char *want)
{
        kata_error err = KATA_ERROR_INIT;
        struct kata_config cfg;
        int r = kata_config_parse_buffer("cfg.toml", text, strlen(text), &cfg, &err);
        if (r == 0)
                fail_msg("parse of <<%s>> succeeded, expected '%s'", text, want);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err.msg, want);
        assert_null(cfg.source); /* nothing to free after a failure */
}

static void test_defaults(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        struct kata_config cfg;
        assert_int_equal(
            kata_config_load_from(NULL, NULL, "/nonexistent/kata/conf.toml", &cfg, &err), 0);
        assert_int_equal(cfg.source_kind, KATA_CONFIG_FROM_DEFAULTS);
        assert_string_equal(cfg.source, "built-in defaults");
        assert_string_equal(kata_config_source_name(cfg.source_kind), "defaults");
        assert_string_equal(cfg.hypervisor.name, "local");
        assert_int_equal(cfg.hypervisor.line, 0);
        assert_int_equal(cfg.hypervisor.default_vcpus, 1);
        assert_int_equal(cfg.hypervisor.default_memory, 2048);
        assert_null(cfg.hypervisor.path);
        assert_int_equal(cfg.agent.dial_timeout, 45);
        assert_int_equal(cfg.agent.kernel_modules.count, 0);
        assert_false(cfg.runtime.enable_tracing);
        assert_string_equal(cfg.runtime.state_root, "/run/kata");
        assert_string_equal(cfg.runtime.internetworking_model, "tcfilter");
        assert_int_equal(kata_config_warnings(&cfg, NULL), 0);
        kata_config_free(&cfg);
}

static const char full_qemu[] = "# A qemu configuration\n"
                                "[hypervisor.qemu]\n"
                                "path = \"/usr/bin/qemu-system-x86_64\"\n"
                                "kernel = \"/usr/share/kata/vmlinuz\"\n"
                                "initrd = \"/usr/share/kata/initrd.img\"\n"
                                "image = \"\" # empty means not set\n"
                                "machine_type = \"q35\"\n"
                                "default_vcpus = 2\n"
                                "default_memory = 1_024\n"
                                "kernel_params = \"console=hvc0 quiet agent.log=debug\"\n"
                                "enable_debug = true\n"
                                "use_vhost_vsock = true\n"
                                "\n"
                                "[agent.kata]\n"
                                "enable_tracing = true\n"
                                "enable_debug = false\n"
                                "debug_console_enabled = true\n"
                                "dial_timeout = 30\n"
                                "kernel_modules = [\"e1000e InterruptThrottleRate=3000\", "
                                "\"i915\"]\n"
                                "\n"
                                "[runtime]\n"
                                "enable_debug = true\n"
                                "enable_tracing = true\n"
                                "sandbox_cgroup_only = true\n"
                                "static_sandbox_resource_mgmt = true\n"
                                "internetworking_model = \"macvtap\"\n"
                                "state_root = \"/tmp/kata-state\"\n";

static void test_full_qemu(void **state)
{
        struct kata_config cfg;
        parse_ok(full_qemu, &cfg);
        assert_int_equal(cfg.source_kind, KATA_CONFIG_FROM_BUFFER);
        assert_string_equal(cfg.source, "cfg.toml");
        const struct kata_hypervisor_config *h = &cfg.hypervisor;
        assert_string_equal(h->name, "qemu");
        assert_int_equal(h->line, 2);
        assert_string_equal(h->path, "/usr/bin/qemu-system-x86_64");
        assert_string_equal(h->kernel, "/usr/share/kata/vmlinuz");
        assert_string_equal(h->initrd, "/usr/share/kata/initrd.img");
        assert_null(h->image);
        assert_string_equal(h->machine_type, "q35");
        assert_int_equal(h->default_vcpus, 2);
        assert_int_equal(h->default_memory, 1024);
        assert_string_equal(h->kernel_params, "console=hvc0 quiet agent.log=debug");
        assert_true(h->enable_debug);
        assert_true(h->use_vhost_vsock);
        assert_true(cfg.agent.enable_tracing);
        assert_false(cfg.agent.enable_debug);
        assert_true(cfg.agent.debug_console_enabled);
        assert_int_equal(cfg.agent.dial_timeout, 30);
        assert_int_equal(cfg.agent.kernel_modules.count, 2);
        assert_string_equal(cfg.agent.kernel_modules.items[0], "e1000e InterruptThrottleRate=3000");
        assert_string_equal(cfg.agent.kernel_modules.items[1], "i915");
        assert_true(cfg.runtime.enable_debug);
        assert_true(cfg.runtime.enable_tracing);
        assert_true(cfg.runtime.sandbox_cgroup_only);
        assert_true(cfg.runtime.static_sandbox_resource_mgmt);
        assert_string_equal(cfg.runtime.internetworking_model, "macvtap");
        assert_string_equal(cfg.runtime.state_root, "/tmp/kata-state");
        assert_int_equal(kata_config_warnings(&cfg, NULL), 0);
        kata_config_free(&cfg);
}

static void test_local_and_key_scoping(void **state)
{
        struct kata_config cfg;
        parse_ok("[hypervisor.local]\n"
                 "agent_path = \"/opt/kata/bin/kata-agent\"\n"
                 "cgroup_parent = \"kata-tests\"\n"
                 "use_vhost_vsock = true\n",
                 &cfg);
        assert_string_equal(cfg.hypervisor.name, "local");
        assert_int_equal(cfg.hypervisor.line, 1);
        assert_string_equal(cfg.hypervisor.agent_path, "/opt/kata/bin/kata-agent");
        assert_string_equal(cfg.hypervisor.cgroup_parent, "kata-tests");
        assert_false(cfg.hypervisor.use_vhost_vsock);
        const char *const *w;
        assert_int_equal(kata_config_warnings(&cfg, &w), 1);
        assert_string_equal(w[0], "cfg.toml:4: use_vhost_vsock: applies only to "
                                  "[hypervisor.qemu], ignored");
        kata_config_free(&cfg);

        /* cgroup_parent applies to every driver (VM sandboxes have host cgroups too). */
        parse_ok("[hypervisor.qemu]\ncgroup_parent = \"/vms\"\n", &cfg);
        assert_string_equal(cfg.hypervisor.cgroup_parent, "/vms");
        assert_int_equal(kata_config_warnings(&cfg, NULL), 0);
        kata_config_free(&cfg);

        parse_ok("[hypervisor.qemu]\nagent_path = \"/x\"\n", &cfg);
        assert_null(cfg.hypervisor.agent_path);
        assert_int_equal(kata_config_warnings(&cfg, &w), 1);
        assert_string_equal(w[0], "cfg.toml:2: agent_path: applies only to "
                                  "[hypervisor.local], ignored");
        kata_config_free(&cfg);
}

static void test_empty_hypervisor_section_selects_it(void **state)
{
        struct kata_config cfg;
        parse_ok("# nothing but the header\n[hypervisor.qemu]\n\n[runtime]\n", &cfg);
        assert_string_equal(cfg.hypervisor.name, "qemu");
        assert_int_equal(cfg.hypervisor.line, 2);
        kata_config_free(&cfg);

        parse_ok("[runtime]\nenable_debug = true\n", &cfg);
        assert_string_equal(cfg.hypervisor.name, "local");
        assert_int_equal(cfg.hypervisor.line, 0);
        kata_config_free(&cfg);
}

static void test_several_hypervisors(void **state)
{
        expect_error("[hypervisor.qemu]\npath = \"/usr/bin/qemu\"\n\n[hypervisor.local]\n",
                     "cfg.toml:4: [hypervisor.local]: several hypervisor sections: "
                     "[hypervisor.qemu] (line 1) and [hypervisor.local]; keep only the one to "
                     "use");
        expect_error("[hypervisor.vbox]\n",
                     "cfg.toml:1: [hypervisor.vbox]: unknown hypervisor 'vbox' (known: local, "
                     "qemu, firecracker, clh, dragonball, stratovirt, remote)");
}

static void test_unknown_keys_warn_with_lines(void **state)
{
        struct kata_config cfg;
        parse_ok("top_level = 1\n"
                 "[hypervisor.qemu]\n"
                 "path = \"/usr/bin/qemu\"\n"
                 "no_such_key = \"x\"\n"
                 "shared_fs = \"virtio-fs\"\n"
                 "virtio_fs_extra_args = [\"--thread-pool-size=1\"]\n"
                 "[factory]\n"
                 "enable_template = false\n"
                 "[mystery]\n"
                 "whatever = 3\n"
                 "[runtime]\n"
                 "   enable_tracing = true\n"
                 "jaeger_endpoint = \"\"\n"
                 "typo_debug = true\n",
                 &cfg);
        const char *const *w;
        assert_int_equal(kata_config_warnings(&cfg, &w), 4);
        assert_string_equal(w[0], "cfg.toml:1: top_level: key outside any section, ignored");
        assert_string_equal(w[1], "cfg.toml:4: no_such_key: unknown key in [hypervisor.qemu], "
                                  "ignored");
        assert_string_equal(w[2], "cfg.toml:9: [mystery]: unknown section, its keys are ignored");
        assert_string_equal(w[3], "cfg.toml:14: typo_debug: unknown key in [runtime], ignored");
        assert_true(cfg.runtime.enable_tracing); /* indented keys are keys */
        kata_config_free(&cfg);
}

static void test_bad_values_name_file_and_line(void **state)
{
        expect_error("[hypervisor.qemu]\n\n# vcpus\ndefault_vcpus = \"two\"\n",
                     "cfg.toml:4: default_vcpus: expected an integer near '\"two\"'");
        expect_error("[hypervisor.qemu]\ndefault_vcpus = 0\n",
                     "cfg.toml:2: default_vcpus: must be between 1 and 1024, got 0");
        expect_error("[hypervisor.qemu]\ndefault_memory = -5\n",
                     "cfg.toml:2: default_memory: must be between 64 and 4194304, got -5");
        expect_error("[hypervisor.qemu]\nkernel = \"vmlinuz\"\n",
                     "cfg.toml:2: kernel: must be an absolute path, got 'vmlinuz'");
        expect_error("[runtime]\nenable_debug = yes\n",
                     "cfg.toml:2: enable_debug: expected true or false near 'yes'");
        expect_error("[runtime]\ninternetworking_model = \"bridged\"\n",
                     "cfg.toml:2: internetworking_model: must be one of tcfilter, macvtap, "
                     "none; got 'bridged'");
        expect_error("[agent.kata]\nkernel_modules = \"i915\"\n",
                     "cfg.toml:2: kernel_modules: expected an array of strings like [\"a\", "
                     "\"b\"] near '\"i915\"'");
        expect_error("[agent.kata]\ndial_timeout = 10\n\ndial_timeout = 20\n",
                     "cfg.toml:4: dial_timeout: set twice in [agent.kata] (first on line 2)");
        expect_error("[runtime]\n[agent.kata]\n[runtime]\n",
                     "cfg.toml:3: [runtime]: section given twice (first on line 1)");
        expect_error("[hypervisor.qemu]\nshared_fs = virtio-fs\n",
                     "cfg.toml:2: shared_fs: expected a quoted string, an integer, true, false or "
                     "an array of strings near 'virtio-fs'");
        expect_error("[runtime]\nstate_root = \"/run/kata\n",
                     "cfg.toml:2: state_root: unterminated string");
        expect_error("[[runtime]]\n",
                     "cfg.toml:1: [[runtime]]: arrays of tables ([[...]]) are not supported");
        expect_error("[runtime] x\n",
                     "cfg.toml:1: [runtime] x: unexpected text after the section header");
        expect_error("[ ]\n", "cfg.toml:1: [ ]: empty section name");
}

static void test_syntax_errors(void **state)
{
        expect_error("[runtime]\nenable_debug = true\njust words\n",
                     "cfg.toml:3: syntax error: expected 'key = value', '[section]' or a "
                     "comment");
        expect_error("[agent.kata]\nkernel_modules = [\n  \"a\",\n\n",
                     "cfg.toml:2: kernel_modules: unterminated array");
        char longline[400];
        snprintf(longline, sizeof(longline), "[hypervisor.qemu]\nkernel_params = \"%0250d\"\n", 0);
        expect_error(longline, "cfg.toml:2: line: longer than 199 characters (comments excepted)");
        static const char nul[] = "[runtime]\nenable_debug = tr\0ue\n";
        kata_error err = KATA_ERROR_INIT;
        struct kata_config cfg;
        assert_int_equal(kata_config_parse_buffer("cfg.toml", nul, sizeof(nul) - 1, &cfg, &err),
                         -EINVAL);
        assert_string_equal(err.msg, "cfg.toml:2: line: NUL byte in the file");
}

static void test_multiline_arrays(void **state)
{
        struct kata_config cfg;
        parse_ok("[agent.kata]\n"
                 "kernel_modules = [ # modules the guest loads\n"
                 "    \"e1000e InterruptThrottleRate=3000\",  # a comment with ] and [\n"
                 "\n"
                 "    'i915', \"x[y]\"\n"
                 "]\n"
                 "dial_timeout = 7\n"
                 "[runtime]\n"
                 "typo = 1\n",
                 &cfg);
        assert_int_equal(cfg.agent.kernel_modules.count, 3);
        assert_string_equal(cfg.agent.kernel_modules.items[0], "e1000e InterruptThrottleRate=3000");
        assert_string_equal(cfg.agent.kernel_modules.items[1], "i915");
        assert_string_equal(cfg.agent.kernel_modules.items[2], "x[y]");
        assert_int_equal(cfg.agent.dial_timeout, 7);
        const char *const *w;
        /* Line numbers after a joined array are still the file's. */
        assert_int_equal(kata_config_warnings(&cfg, &w), 1);
        assert_string_equal(w[0], "cfg.toml:9: typo: unknown key in [runtime], ignored");
        kata_config_free(&cfg);

        /* An error inside a multi-line array names the line where the key is. */
        expect_error("[agent.kata]\nkernel_modules = [\n  \"a\",\n  3,\n]\n",
                     "cfg.toml:2: kernel_modules: array element 2: expected a quoted string "
                     "near '3, ]'");
        expect_error("[agent.kata]\nkernel_modules = [\n  \"a\",\n]\nnonsense\n",
                     "cfg.toml:5: syntax error: expected 'key = value', '[section]' or a "
                     "comment");
}

static void test_comments_crlf_bom(void **state)
{
        struct kata_config cfg;
        parse_ok("\xEF\xBB\xBF# comment\r\n"
                 "; an ini comment\r\n"
                 "[hypervisor.qemu]   # the one we use\r\n"
                 "kernel_params = \"a=1 # not a comment\"   # a comment\r\n"
                 "\t  machine_type = 'virt'\r\n",
                 &cfg);
        assert_string_equal(cfg.hypervisor.name, "qemu");
        assert_string_equal(cfg.hypervisor.kernel_params, "a=1 # not a comment");
        assert_string_equal(cfg.hypervisor.machine_type, "virt");
        kata_config_free(&cfg);
}

static void test_long_comments(void **state)
{
        char text[2048];
        char filler[301];
        memset(filler, 'x', 300);
        filler[300] = '\0';
        snprintf(text, sizeof(text),
                 "# %s\n"
                 "[hypervisor.qemu]\n"
                 "; %s\n"
                 "kernel_params = \"a # b\" # %s\n"
                 "machine_type = 'q35' # '\" %s\n",
                 filler, filler, filler, filler);
        struct kata_config cfg;
        parse_ok(text, &cfg);
        assert_string_equal(cfg.hypervisor.kernel_params, "a # b");
        assert_string_equal(cfg.hypervisor.machine_type, "q35");
        kata_config_free(&cfg);
}

static char *write_temp(const char *content)
{
        char *path = strdup("/tmp/kata-config-test-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        close(fd);
        return path;
}

static void test_lookup_order(void **state)
{
        char *explicit_file = write_temp("[hypervisor.qemu]\n");
        char *env_file = write_temp("[hypervisor.firecracker]\n");
        char *system_file = write_temp("[hypervisor.clh]\n");
        kata_error err = KATA_ERROR_INIT;
        struct kata_config cfg;

        assert_int_equal(kata_config_load_from(explicit_file, env_file, system_file, &cfg, &err),
                         0);
        assert_string_equal(cfg.hypervisor.name, "qemu");
        assert_int_equal(cfg.source_kind, KATA_CONFIG_FROM_EXPLICIT);
        assert_string_equal(cfg.source, explicit_file);
        kata_config_free(&cfg);

        assert_int_equal(kata_config_load_from(NULL, env_file, system_file, &cfg, &err), 0);
        assert_string_equal(cfg.hypervisor.name, "firecracker");
        assert_int_equal(cfg.source_kind, KATA_CONFIG_FROM_ENV);
        assert_string_equal(cfg.source, env_file);
        kata_config_free(&cfg);

        assert_int_equal(kata_config_load_from("", "", system_file, &cfg, &err), 0);
        assert_string_equal(cfg.hypervisor.name, "clh");
        assert_int_equal(cfg.source_kind, KATA_CONFIG_FROM_SYSTEM);
        kata_config_free(&cfg);

        /* The real entry point reads $KATA_CONF_FILE. */
        setenv("KATA_CONF_FILE", env_file, 1);
        assert_int_equal(kata_config_load(NULL, &cfg, &err), 0);
        assert_string_equal(cfg.hypervisor.name, "firecracker");
        kata_config_free(&cfg);
        assert_int_equal(kata_config_load(explicit_file, &cfg, &err), 0);
        assert_string_equal(cfg.hypervisor.name, "qemu");
        kata_config_free(&cfg);
        unsetenv("KATA_CONF_FILE");

        unlink(explicit_file);
        unlink(env_file);
        unlink(system_file);
        free(explicit_file);
        free(env_file);
        free(system_file);
}

static void test_missing_files(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        struct kata_config cfg;
        assert_int_equal(
            kata_config_load_from("/nonexistent/explicit.toml", NULL, NULL, &cfg, &err), -ENOENT);
        assert_string_equal(err.msg, "configuration file (--config): cannot open "
                                     "/nonexistent/explicit.toml: No such file or directory");
        assert_null(cfg.source);
        kata_error_clear(&err);
        assert_int_equal(kata_config_load_from(NULL, "/nonexistent/env.toml",
                                               "/nonexistent/system.toml", &cfg, &err),
                         -ENOENT);
        assert_string_equal(err.msg, "configuration file ($KATA_CONF_FILE): cannot open "
                                     "/nonexistent/env.toml: No such file or directory");
        /* A bad file stops the lookup: no silent fall-back to defaults. */
        char *bad = write_temp("[runtime]\nenable_debug = 1\n");
        kata_error_clear(&err);
        assert_int_equal(kata_config_load_from(NULL, NULL, bad, &cfg, &err), -EINVAL);
        char want[256];
        snprintf(want, sizeof(want), "%s:2: enable_debug: expected true or false near '1'", bad);
        assert_string_equal(err.msg, want);
        unlink(bad);
        free(bad);
}

static void test_kata_style_file_is_quiet(void **state)
{
        /* Written the way Kata's shipped files are: many keys we do not use. */
        struct kata_config cfg;
        parse_ok("[hypervisor.qemu]\n"
                 "path = \"/usr/bin/qemu-system-x86_64\"\n"
                 "kernel = \"/usr/share/kata-containers/vmlinux.container\"\n"
                 "image = \"/usr/share/kata-containers/kata-containers.img\"\n"
                 "machine_type = \"q35\"\n"
                 "rootfs_type = \"ext4\"\n"
                 "enable_annotations = [\"enable_iommu\", \"virtio_fs_extra_args\"]\n"
                 "valid_hypervisor_paths = [\"/usr/bin/qemu-system-x86_64\"]\n"
                 "kernel_params = \"\"\n"
                 "firmware = \"\"\n"
                 "machine_accelerators = \"\"\n"
                 "cpu_features = \"pmu=off\"\n"
                 "default_vcpus = 1\n"
                 "default_maxvcpus = 0\n"
                 "default_bridges = 1\n"
                 "default_memory = 2048\n"
                 "memory_slots = 10\n"
                 "disable_block_device_use = false\n"
                 "shared_fs = \"virtio-fs\"\n"
                 "virtio_fs_daemon = \"/usr/libexec/virtiofsd\"\n"
                 "valid_virtio_fs_daemon_paths = [\"/usr/libexec/virtiofsd\"]\n"
                 "virtio_fs_cache_size = 0\n"
                 "virtio_fs_queue_size = 1024\n"
                 "virtio_fs_extra_args = [\"--thread-pool-size=1\", \"--announce-submounts\"]\n"
                 "virtio_fs_cache = \"auto\"\n"
                 "block_device_driver = \"virtio-scsi\"\n"
                 "enable_iothreads = false\n"
                 "valid_file_mem_backends = [\"\"]\n"
                 "pflashes = []\n"
                 "valid_entropy_sources = [\"/dev/urandom\",\"/dev/random\",\"\"]\n"
                 "disable_selinux = false\n"
                 "\n"
                 "[factory]\n"
                 "enable_template = false\n"
                 "\n"
                 "[agent.kata]\n"
                 "kernel_modules = []\n"
                 "dial_timeout = 45\n"
                 "\n"
                 "[runtime]\n"
                 "internetworking_model = \"tcfilter\"\n"
                 "disable_guest_seccomp = true\n"
                 "sandbox_cgroup_only = false\n"
                 "static_sandbox_resource_mgmt = false\n"
                 "sandbox_bind_mounts = []\n"
                 "vfio_mode = \"guest-kernel\"\n"
                 "disable_guest_empty_dir = false\n"
                 "experimental = []\n",
                 &cfg);
        assert_int_equal(kata_config_warnings(&cfg, NULL), 0);
        assert_string_equal(cfg.hypervisor.image, "/usr/share/kata-containers/kata-containers.img");
        assert_null(cfg.hypervisor.kernel_params);
        assert_int_equal(cfg.agent.kernel_modules.count, 0);
        kata_config_free(&cfg);

        /* Empty means not set: keys with a default get the default back. */
        parse_ok("[runtime]\nstate_root = \"\"\n", &cfg);
        assert_string_equal(cfg.runtime.state_root, "/run/kata");
        kata_config_free(&cfg);
}

static void test_example_file_loads(void **state)
{
        const char *src = getenv("KATA_SOURCE_DIR");
        char path[4096];
        snprintf(path, sizeof(path), "%s/runtime/libs/config/configuration.toml.example",
                 src ? src : ".");
        kata_error err = KATA_ERROR_INIT;
        struct kata_config cfg;
        int r = kata_config_load_from(path, NULL, NULL, &cfg, &err);
        if (r != 0)
                fail_msg("%s", err.msg);
        assert_int_equal(kata_config_warnings(&cfg, NULL), 0);
        assert_string_equal(cfg.hypervisor.name, "local");
        kata_config_free(&cfg);
}

static void test_warning_cap(void **state)
{
        size_t cap = 64 * 1024;
        char *text = malloc(cap);
        size_t n = (size_t)snprintf(text, cap, "[runtime]\n");
        for (int i = 0; i < 300; i++)
                n += (size_t)snprintf(text + n, cap - n, "unknown_%d = 1\n", i);
        struct kata_config cfg;
        parse_ok(text, &cfg);
        const char *const *w;
        assert_int_equal(kata_config_warnings(&cfg, &w), 101);
        assert_string_equal(w[100], "cfg.toml: more than 100 warnings, the rest are not shown");
        kata_config_free(&cfg);
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_full_qemu),
            cmocka_unit_test(test_local_and_key_scoping),
            cmocka_unit_test(test_empty_hypervisor_section_selects_it),
            cmocka_unit_test(test_several_hypervisors),
            cmocka_unit_test(test_unknown_keys_warn_with_lines),
            cmocka_unit_test(test_bad_values_name_file_and_line),
            cmocka_unit_test(test_syntax_errors),
            cmocka_unit_test(test_multiline_arrays),
            cmocka_unit_test(test_comments_crlf_bom),
            cmocka_unit_test(test_long_comments),
            cmocka_unit_test(test_lookup_order),
            cmocka_unit_test(test_missing_files),
            cmocka_unit_test(test_kata_style_file_is_quiet),
            cmocka_unit_test(test_example_file_loads),
            cmocka_unit_test(test_warning_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
