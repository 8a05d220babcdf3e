/* Request lines of the debug console protocol (protocol.h). The parser and the argv
 * splitter run in the agent's forked session process: plain loops, no libc state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "console/protocol.h"

static int is_term_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '+' || c == '-';
}

int kata_console_term_is_valid(const char *term)
{
        size_t n = 0;
        for (; term[n]; n++)
                if (n >= KATA_CONSOLE_TERM_MAX || !is_term_char(term[n]))
                        return 0;
        return n > 0;
}

/* A decimal number 1..max without leading zeros or sign. */
static int parse_number(const char **p, unsigned long max, unsigned long *out)
{
        const char *s = *p;
        unsigned long v = 0;
        if (*s < '1' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (unsigned long)(*s - '0');
                if (v > max)
                        return -EINVAL;
        }
        *p = s;
        *out = v;
        return 0;
}

static int skip_word(const char **p, const char *word)
{
        size_t n = strlen(word);
        if (strncmp(*p, word, n) != 0)
                return -EINVAL;
        *p += n;
        return 0;
}

int kata_console_request_parse(const char *line, kata_console_request *req)
{
        memset(req, 0, sizeof(*req));
        const char *p = line;
        unsigned long a, b;
        if (skip_word(&p, KATA_CONSOLE_MAGIC) < 0)
                return -EINVAL;
        if (skip_word(&p, "exec ") == 0) {
                if (parse_number(&p, KATA_CONSOLE_ARGV_MAX, &a) < 0 || *p)
                        return -EINVAL;
                req->mode = KATA_CONSOLE_MODE_EXEC;
                req->argv_len = (uint32_t)a;
                return 0;
        }
        if (skip_word(&p, "tty ") < 0 || parse_number(&p, 65535, &a) < 0 ||
            skip_word(&p, " ") < 0 || parse_number(&p, 65535, &b) < 0 || skip_word(&p, " ") < 0 ||
            !kata_console_term_is_valid(p))
                return -EINVAL;
        req->mode = KATA_CONSOLE_MODE_TTY;
        req->rows = (unsigned)a;
        req->cols = (unsigned)b;
        memcpy(req->term, p, strlen(p) + 1);
        return 0;
}

int kata_console_request_format(const kata_console_request *req, char *buf, size_t size)
{
        int n;
        if (req->mode == KATA_CONSOLE_MODE_EXEC) {
                if (req->argv_len < 1 || req->argv_len > KATA_CONSOLE_ARGV_MAX)
                        return -EINVAL;
                n = snprintf(buf, size, KATA_CONSOLE_MAGIC "exec %u\n", req->argv_len);
        } else if (req->mode == KATA_CONSOLE_MODE_TTY) {
                if (req->rows < 1 || req->rows > 65535 || req->cols < 1 || req->cols > 65535 ||
                    !kata_console_term_is_valid(req->term))
                        return -EINVAL;
                n = snprintf(buf, size, KATA_CONSOLE_MAGIC "tty %u %u %s\n", req->rows, req->cols,
                             req->term);
        } else {
                return -EINVAL;
        }
        if (n < 0 || (size_t)n >= size)
                return -ENOSPC;
        return n;
}

int kata_console_argv_split(char *block, size_t len, char **argv, size_t max_args)
{
        if (len == 0 || block[len - 1] != 0 || block[0] == 0)
                return -EINVAL;
        size_t n = 0;
        for (size_t off = 0; off < len;) {
                if (n == max_args)
                        return -E2BIG;
                argv[n++] = block + off;
                while (block[off])
                        off++;
                off++;
        }
        argv[n] = NULL;
        return (int)n;
}
