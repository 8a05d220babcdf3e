/* Semantic versions (semver 2.0.0) as Kata tags its releases: "2.5.0", "3.0.0-rc1".
 * Used by the release check to order releases and to say how much newer one is. */
#ifndef KATA_CHECK_SEMVER_H
#define KATA_CHECK_SEMVER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Longest pre-release part kept ("rc1", "alpha.2"...); longer ones are refused rather
 * than truncated, since truncation would change their order. */
#define KATA_SEMVER_PRERELEASE_MAX 128

struct kata_semver {
        uint64_t major, minor, patch;
        char prerelease[KATA_SEMVER_PRERELEASE_MAX]; /* "" for a normal release */
};

/* How much newer a candidate is than the running version. */
enum kata_semver_bump {
        KATA_SEMVER_NOT_NEWER = 0,
        KATA_SEMVER_PATCH,
        KATA_SEMVER_MINOR,
        KATA_SEMVER_MAJOR,
};

/* Parses a whole string as MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]. Kata's tags have no
 * leading 'v', but one is accepted and dropped because mirrors and forks use it. Build
 * metadata is validated and then ignored (it has no precedence). Numbers must fit in
 * 64 bits and, as the spec says, have no leading zeros. Returns 0 or -EINVAL (-ERANGE for
 * overflow) with err naming what is wrong. */
int kata_semver_parse(const char *s, struct kata_semver *out, kata_error *err);

/* Semver precedence: <0 when a < b, 0 when equal, >0 when a > b. A pre-release is lower
 * than its normal version (2.5.0-rc1 < 2.5.0); pre-release identifiers compare
 * numerically when both are numeric, numeric below alphanumeric, others in ASCII order
 * (so "rc10" < "rc2", as the spec orders them), and a shorter list of equal identifiers
 * is lower. */
int kata_semver_compare(const struct kata_semver *a, const struct kata_semver *b);

/* NOT_NEWER unless candidate > current. Otherwise MAJOR or MINOR when that number grew,
 * else PATCH: a newer patch number, and also a move within the same MAJOR.MINOR.PATCH
 * from a pre-release to a later pre-release or to the final release (running 2.5.0-rc1,
 * 2.5.0 is reported as a newer patch release). */
enum kata_semver_bump kata_semver_classify(const struct kata_semver *current,
                                           const struct kata_semver *candidate);

/* "major", "minor", "patch" or "none". */
const char *kata_semver_bump_name(enum kata_semver_bump bump);

/* Writes the canonical form (no 'v', no build metadata) into buf. Returns the length
 * snprintf would have written. */
int kata_semver_format(const struct kata_semver *v, char *buf, size_t size);

#endif
