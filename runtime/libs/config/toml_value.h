/* Typed values of configuration.toml: the subset of TOML that Kata's files use.
 *
 * libinih splits the file into sections and `key = value` lines; these functions turn
 * the value text (everything after the `=`, as inih hands it over) into a C value:
 *
 *   strings   "basic" with escapes \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX (UTF-8 out),
 *             or 'literal' (no escapes). Control characters other than tab, NUL
 *             (even escaped) and multi-line strings (""" or ''') are refused.
 *   integers  decimal, optional sign, `_` between digits (1_024); no leading zeros,
 *             no hex/octal/binary, no floats.
 *   booleans  true, false.
 *   arrays    of strings: ["a", 'b'], [] and a trailing comma allowed. These
 *             parsers see one line; the loader joins an array spread over several
 *             lines (dropping their comments) before it gets here.
 *   comments  `#` outside a string runs to the end of the line.
 *
 * Each parser fails with -EINVAL and a message saying what was wrong with the value;
 * the caller adds the file, line and key. */
#ifndef KATA_CONFIG_TOML_VALUE_H
#define KATA_CONFIG_TOML_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct kata_string_list {
        char **items;
        size_t count;
};

int kata_toml_parse_string(const char *text, char **out, kata_error *err);
int kata_toml_parse_integer(const char *text, int64_t *out, kata_error *err);
int kata_toml_parse_boolean(const char *text, bool *out, kata_error *err);
/* On success *out holds the elements (count may be 0); the caller frees it with
 * kata_string_list_free. */
int kata_toml_parse_string_array(const char *text, struct kata_string_list *out, kata_error *err);
/* Succeeds when text is any one of the value types above (for keys we accept but
 * do not use). */
int kata_toml_check_value(const char *text, kata_error *err);

void kata_string_list_free(struct kata_string_list *list);
/* Deep copy; returns -ENOMEM on allocation failure. */
int kata_string_list_copy(const struct kata_string_list *src, struct kata_string_list *dst);

#endif
