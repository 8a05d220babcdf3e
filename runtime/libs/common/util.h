/* Small helpers that several libraries and binaries need: files, paths, numbers,
 * terminal output. Anything bigger belongs in its own library. */
#ifndef KATA_COMMON_UTIL_H
#define KATA_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

#define KATA_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Reads a whole file into a NUL-terminated malloc'd buffer (*out, length in *len
 * when len is not NULL). Refuses files larger than max_size (0: 64 MiB) with EFBIG.
 * Works for /proc and /sys files whose st_size is 0. */
int kata_read_file(const char *path, size_t max_size, char **out, size_t *len, kata_error *err);

/* Same, for path resolved under root ("/" or NULL: the real host). Used so that
 * checks and cgroup code can run against fixture trees. */
int kata_read_file_at(const char *root, const char *path, size_t max_size, char **out, size_t *len,
                      kata_error *err);

/* Reads a file and strips trailing whitespace; for one-value sysfs/cgroup files. */
int kata_read_line_at(const char *root, const char *path, char **out, kata_error *err);

/* Writes data to path atomically (temp file in the same directory, fsync, rename). */
int kata_write_file_atomic(const char *path, const void *data, size_t len, int mode,
                           kata_error *err);

/* Same without the fsync: readers still see the old or the new file whole, but a crash
 * may lose the update. For run-time state that does not outlive a reboot (/run), where
 * the fsync would cost milliseconds per write and buy nothing. */
int kata_write_file_replace(const char *path, const void *data, size_t len, int mode,
                            kata_error *err);

/* Reads exactly len bytes from a blocking fd (EINTR retried). Returns 0, or -1 on EOF or
 * error (errno set; 0 on EOF). Safe between fork and exec. */
int kata_read_full(int fd, void *buf, size_t len);

/* Writes all len bytes to a blocking fd (EINTR retried). Returns 0 or -1 (errno set). */
int kata_write_all(int fd, const void *buf, size_t len);

/* Writes a string to an existing file (cgroup and sysfs knobs). */
int kata_write_string(const char *path, const char *value, kata_error *err);

/* Joins root and path into a malloc'd string: ("/", "/proc/x") -> "/proc/x",
 * ("/tmp/f", "/proc/x") -> "/tmp/f/proc/x". Returns NULL on allocation failure. */
char *kata_path_join(const char *root, const char *path);

/* True when path (under root) exists. */
bool kata_path_exists_at(const char *root, const char *path);

/* mkdir -p with mode for every created component. */
int kata_mkdir_p(const char *path, int mode, kata_error *err);

/* Strict number parsing: the whole string (after optional surrounding whitespace) must
 * be a number in range. Return 0 or -EINVAL/-ERANGE. */
int kata_parse_u64(const char *s, uint64_t *out);
int kata_parse_i64(const char *s, int64_t *out);

bool kata_str_startswith(const char *s, const char *prefix);
bool kata_str_endswith(const char *s, const char *suffix);
/* Trims leading and trailing whitespace in place; returns s advanced past leading space. */
char *kata_str_trim(char *s);

/* Valid sandbox/container id: 1..128 chars of [A-Za-z0-9_.-], not starting with '.'
 * or '-'. */
bool kata_id_is_valid(const char *id);

/* True when colors may be used on stream: it is a TTY and NO_COLOR is unset. */
bool kata_color_enabled(FILE *stream);

/* Monotonic and real-time clocks in nanoseconds. */
uint64_t kata_now_monotonic_ns(void);
uint64_t kata_now_realtime_ns(void);

#endif
