/* The debug console's wire protocol (port 1026), shared by the agent and `kata-ctl exec`.
 *
 * A client that says nothing special gets what Kata's console is: a shell whose stdio is
 * the connection (no pty, PS1 "kata-agent# "), for socat-style clients. A client that wants
 * more sends, as the very first bytes after the hybrid vsock "OK" line, one request line:
 *
 *   "KATA-CONSOLE/1 tty ROWS COLS TERM\n"   a login-style shell on a pseudo-terminal of
 *                                          ROWS x COLS (1..65535), TERM as given
 *                                          ([A-Za-z0-9._+-], at most 63 characters)
 *   "KATA-CONSOLE/1 exec LEN\n"             one command: LEN (1..KATA_CONSOLE_ARGV_MAX)
 *                                          bytes follow, the argv strings each ended by
 *                                          a NUL; argv[0] is searched in PATH
 *
 * After a request both directions carry frames: a 5-byte header (type, then the payload
 * length as a big-endian u32, at most KATA_CONSOLE_FRAME_MAX) and the payload. Frames
 * are a byte-exact channel: output is never escaped or translated, so binary data and a
 * missing final newline come through as they are, and the exit status is out of band.
 *
 *   client -> agent  'i' bytes for the command's stdin or the terminal; an empty 'i' is
 *                        end of input (the command's stdin is closed; ignored on a tty)
 *                    'w' window size: rows, cols as big-endian u16 (tty only)
 *   agent -> client  'o' stdout (on a tty: everything the terminal shows)
 *                    'e' stderr (exec only)
 *                    'x' the end: exit status as a big-endian u32, as a shell reports it
 *                        (the code, or 128 + signal); 127 when the command was not found,
 *                        126 when it could not be executed (the reason comes first as 'e')
 *
 * The agent sends 'x' after the command (or the shell) exited and its output was drained,
 * then closes. A client that disconnects makes the agent hang up the command (SIGHUP to
 * a tty's session, SIGKILL to an exec'd command). */
#ifndef KATA_CONSOLE_PROTOCOL_H
#define KATA_CONSOLE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define KATA_CONSOLE_MAGIC       "KATA-CONSOLE/1 "
#define KATA_CONSOLE_LINE_MAX    128
#define KATA_CONSOLE_ARGV_MAX    65536u
#define KATA_CONSOLE_FRAME_MAX   65536u
#define KATA_CONSOLE_HEADER_SIZE 5
#define KATA_CONSOLE_TERM_MAX    63

#define KATA_CONSOLE_FRAME_STDIN  'i'
#define KATA_CONSOLE_FRAME_WINSZ  'w'
#define KATA_CONSOLE_FRAME_STDOUT 'o'
#define KATA_CONSOLE_FRAME_STDERR 'e'
#define KATA_CONSOLE_FRAME_EXIT   'x'

enum kata_console_mode {
        KATA_CONSOLE_MODE_TTY = 1,
        KATA_CONSOLE_MODE_EXEC,
};

/* A parsed request line. */
typedef struct kata_console_request {
        enum kata_console_mode mode;
        unsigned rows, cols;                  /* tty */
        char term[KATA_CONSOLE_TERM_MAX + 1]; /* tty */
        uint32_t argv_len;                    /* exec: bytes of argv that follow */
} kata_console_request;

/* Parses one request line (its newline removed, NUL-terminated), magic included.
 * Returns 0, or -EINVAL for anything not exactly as documented above. Async-signal-safe
 * (no allocation, no locale): the agent calls it in a forked process. */
int kata_console_request_parse(const char *line, kata_console_request *req);

/* True for a TERM value the tty request can carry. */
int kata_console_term_is_valid(const char *term);

/* Writes a request line, newline included, into buf. Returns its length, or -EINVAL for
 * out-of-range values or an invalid term, -ENOSPC when buf is too small. */
int kata_console_request_format(const kata_console_request *req, char *buf, size_t size);

/* Checks the argv block of an exec request (argv_len bytes, every string ended by a NUL,
 * the first not empty) and points argv[0..] (room for max_args + 1) at its strings,
 * argv[n] = NULL. Returns the
 * number of strings, or -EINVAL (malformed), -E2BIG (more than max_args). No allocation. */
int kata_console_argv_split(char *block, size_t len, char **argv, size_t max_args);

static inline void kata_console_put_u32(unsigned char *p, uint32_t v)
{
        p[0] = (unsigned char)(v >> 24);
        p[1] = (unsigned char)(v >> 16);
        p[2] = (unsigned char)(v >> 8);
        p[3] = (unsigned char)v;
}

static inline uint32_t kata_console_get_u32(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void kata_console_put_header(unsigned char *p, char type, uint32_t len)
{
        p[0] = (unsigned char)type;
        kata_console_put_u32(p + 1, len);
}

#endif
