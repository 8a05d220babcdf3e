#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_prog = "kata";
static enum kata_log_level log_level = KATA_LOG_WARN;
static FILE *log_stream;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int kata_log_level_parse(const char *name, enum kata_log_level *level)
{
        for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
                if (name && strcasecmp(name, level_names[i]) == 0) {
                        *level = (enum kata_log_level)i;
                        return 0;
                }
        }
        return -EINVAL;
}

void kata_log_init(const char *prog, enum kata_log_level default_level)
{
        const char *slash = prog ? strrchr(prog, '/') : NULL;
        log_prog = slash ? slash + 1 : (prog ? prog : "kata");
        log_level = default_level;
        enum kata_log_level env_level;
        if (kata_log_level_parse(getenv("KATA_LOG_LEVEL"), &env_level) == 0)
                log_level = env_level;
}

void kata_log_set_level(enum kata_log_level level)
{
        log_level = level;
}

enum kata_log_level kata_log_get_level(void)
{
        return log_level;
}

void kata_log_set_stream(FILE *stream)
{
        log_stream = stream;
}

void kata_log(enum kata_log_level level, const char *fmt, ...)
{
        if (level > log_level)
                return;
        FILE *out = log_stream ? log_stream : stderr;
        char line[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        /* One fprintf per line keeps lines from concurrent threads whole. */
        fprintf(out, "%s: %s: %s\n", log_prog, level_names[level], line);
        fflush(out);
}
