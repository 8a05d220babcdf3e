/* The guest's memory as the vhost-user frontend shares it (SET_MEM_TABLE): up to eight
 * regions, each an fd we mmap. Descriptors carry guest-physical addresses; ring addresses
 * (SET_VRING_ADDR) are the frontend's own virtual addresses. Every translation checks that
 * the whole range lies inside a region, so a guest cannot make us touch anything else. */
#ifndef KATA_VSOCK_GUEST_MEMORY_H
#define KATA_VSOCK_GUEST_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define KATA_GUEST_MEM_MAX_REGIONS 8

struct kata_guest_region {
        uint64_t gpa;   /* guest-physical start */
        uint64_t size;  /* bytes */
        uint64_t uva;   /* start in the frontend's address space */
        uint8_t *host;  /* start in ours */
        void *map_base; /* what munmap needs (NULL for regions we did not map) */
        size_t map_len;
};

struct kata_guest_mem {
        struct kata_guest_region regions[KATA_GUEST_MEM_MAX_REGIONS];
        size_t nregions;
};

/* Adds a region whose bytes already sit at host (tests and fuzzers). Rejects empty or
 * wrapping ranges and overlaps with existing regions (EINVAL), a ninth region (E2BIG). */
int kata_guest_mem_add(struct kata_guest_mem *mem, uint64_t gpa, uint64_t size, uint64_t uva,
                       void *host, kata_error *err);

/* Maps size bytes of fd starting at mmap_offset and adds it as a region. fd stays the
 * caller's. */
int kata_guest_mem_map(struct kata_guest_mem *mem, int fd, uint64_t gpa, uint64_t size,
                       uint64_t uva, uint64_t mmap_offset, kata_error *err);

/* Unmaps every region and empties the table. */
void kata_guest_mem_clear(struct kata_guest_mem *mem);

/* Host pointer for [gpa, gpa+len) when it lies in one region, else NULL. */
void *kata_guest_mem_gpa(const struct kata_guest_mem *mem, uint64_t gpa, uint64_t len);

/* Host pointer for gpa and, in *contiguous, how many bytes follow it in the same region;
 * NULL when gpa is in no region. Used to split buffers that cross regions. */
void *kata_guest_mem_gpa_span(const struct kata_guest_mem *mem, uint64_t gpa, uint64_t *contiguous);

/* Host pointer for the frontend address range [uva, uva+len), else NULL. */
void *kata_guest_mem_uva(const struct kata_guest_mem *mem, uint64_t uva, uint64_t len);

#endif
