#include "fake_tree.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util.h"

char *fake_tree_new(void)
{
        char tmpl[] = "/tmp/kata-cg-fake-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        return strdup(tmpl);
}

static char *join(const char *base, const char *rel)
{
        char *p = kata_path_join(base, rel);
        assert_non_null(p);
        return p;
}

void fake_mkdir(const char *base, const char *rel)
{
        char *p = join(base, rel);
        kata_error err = KATA_ERROR_INIT;
        if (kata_mkdir_p(p, 0755, &err) < 0)
                fail_msg("%s", err.msg);
        free(p);
}

void fake_write(const char *base, const char *rel, const char *content)
{
        char *p = join(base, rel);
        char *slash = strrchr(p, '/');
        *slash = '\0';
        kata_error err = KATA_ERROR_INIT;
        if (kata_mkdir_p(p, 0755, &err) < 0)
                fail_msg("%s", err.msg);
        *slash = '/';
        FILE *f = fopen(p, "w");
        if (!f)
                fail_msg("cannot write %s", p);
        fputs(content, f);
        fclose(f);
        free(p);
}

const char *fake_read(const char *base, const char *rel)
{
        static char buf[4096];
        char *p = join(base, rel);
        FILE *f = fopen(p, "r");
        if (!f)
                fail_msg("cannot read %s", p);
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        free(p);
        return buf;
}

int fake_exists(const char *base, const char *rel)
{
        char *p = join(base, rel);
        int r = access(p, F_OK) == 0;
        free(p);
        return r;
}

void fake_tree_free(char *base)
{
        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", base);
        free(base);
}
