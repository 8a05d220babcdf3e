/* Minimal leveled logging to stderr (or a file), shared by every binary. */
#ifndef KATA_COMMON_LOG_H
#define KATA_COMMON_LOG_H

#include <stdio.h>

enum kata_log_level { KATA_LOG_ERROR = 0, KATA_LOG_WARN, KATA_LOG_INFO, KATA_LOG_DEBUG };

/* prog is the name printed before each line; level comes from KATA_LOG_LEVEL
 * (error|warn|info|debug) when set, else the given default. */
void kata_log_init(const char *prog, enum kata_log_level default_level);
void kata_log_set_level(enum kata_log_level level);
enum kata_log_level kata_log_get_level(void);
/* Returns 0 and sets level, or -EINVAL for an unknown name. */
int kata_log_level_parse(const char *name, enum kata_log_level *level);
/* Redirect log output (default stderr). The stream is not closed by the logger. */
void kata_log_set_stream(FILE *stream);

void kata_log(enum kata_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define kata_log_error(...) kata_log(KATA_LOG_ERROR, __VA_ARGS__)
#define kata_log_warn(...)  kata_log(KATA_LOG_WARN, __VA_ARGS__)
#define kata_log_info(...)  kata_log(KATA_LOG_INFO, __VA_ARGS__)
#define kata_log_debug(...) kata_log(KATA_LOG_DEBUG, __VA_ARGS__)

#endif
