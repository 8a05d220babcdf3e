/* Fake cgroup trees in a temp directory, for testing the cgroupfs code without root. */
#ifndef KATA_TEST_FAKE_TREE_H
#define KATA_TEST_FAKE_TREE_H

#include <stddef.h>

/* Creates a temp directory; returns its malloc'd path. */
char *fake_tree_new(void);
/* Writes content to base/rel, creating parent directories. */
void fake_write(const char *base, const char *rel, const char *content);
/* Reads base/rel into a static buffer (trailing newline kept). */
const char *fake_read(const char *base, const char *rel);
void fake_mkdir(const char *base, const char *rel);
int fake_exists(const char *base, const char *rel);
void fake_tree_free(char *base);

#endif
