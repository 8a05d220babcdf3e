#include "guest_memory.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static int range_ok(uint64_t start, uint64_t size)
{
        return size > 0 && start + size > start;
}

int kata_guest_mem_add(struct kata_guest_mem *mem, uint64_t gpa, uint64_t size, uint64_t uva,
                       void *host, kata_error *err)
{
        if (mem->nregions >= KATA_GUEST_MEM_MAX_REGIONS)
                return kata_error_set(err, E2BIG, "more than %d memory regions",
                                      KATA_GUEST_MEM_MAX_REGIONS);
        if (!range_ok(gpa, size) || !range_ok(uva, size))
                return kata_error_set(err, EINVAL,
                                      "memory region gpa 0x%llx uva 0x%llx size 0x%llx is empty or "
                                      "wraps around",
                                      (unsigned long long)gpa, (unsigned long long)uva,
                                      (unsigned long long)size);
        for (size_t i = 0; i < mem->nregions; i++) {
                const struct kata_guest_region *r = &mem->regions[i];
                if (gpa < r->gpa + r->size && r->gpa < gpa + size)
                        return kata_error_set(err, EINVAL,
                                              "memory region gpa 0x%llx size 0x%llx overlaps "
                                              "region %zu",
                                              (unsigned long long)gpa, (unsigned long long)size, i);
        }
        struct kata_guest_region *r = &mem->regions[mem->nregions++];
        *r = (struct kata_guest_region){.gpa = gpa, .size = size, .uva = uva, .host = host};
        return 0;
}

int kata_guest_mem_map(struct kata_guest_mem *mem, int fd, uint64_t gpa, uint64_t size,
                       uint64_t uva, uint64_t mmap_offset, kata_error *err)
{
        if (!range_ok(mmap_offset, size) || mmap_offset + size > SIZE_MAX)
                return kata_error_set(err, EINVAL,
                                      "memory region mmap offset 0x%llx + size 0x%llx overflows",
                                      (unsigned long long)mmap_offset, (unsigned long long)size);
        /* Touching a page past the end of the file would kill us with SIGBUS. */
        struct stat st;
        if (fstat(fd, &st) < 0)
                return kata_error_errno(err, errno, "memory region fd");
        if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < mmap_offset + size)
                return kata_error_set(err, EINVAL,
                                      "memory region of 0x%llx bytes at offset 0x%llx goes past "
                                      "the end of its file (0x%llx bytes)",
                                      (unsigned long long)size, (unsigned long long)mmap_offset,
                                      (unsigned long long)st.st_size);
        size_t len = (size_t)(mmap_offset + size);
        void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED)
                return kata_error_errno(err, errno, "mmap of a %zu-byte memory region", len);
        int rc = kata_guest_mem_add(mem, gpa, size, uva, (uint8_t *)base + mmap_offset, err);
        if (rc < 0) {
                munmap(base, len);
                return rc;
        }
        mem->regions[mem->nregions - 1].map_base = base;
        mem->regions[mem->nregions - 1].map_len = len;
        return 0;
}

void kata_guest_mem_clear(struct kata_guest_mem *mem)
{
        for (size_t i = 0; i < mem->nregions; i++)
                if (mem->regions[i].map_base)
                        munmap(mem->regions[i].map_base, mem->regions[i].map_len);
        memset(mem, 0, sizeof(*mem));
}

void *kata_guest_mem_gpa_span(const struct kata_guest_mem *mem, uint64_t gpa, uint64_t *contiguous)
{
        for (size_t i = 0; i < mem->nregions; i++) {
                const struct kata_guest_region *r = &mem->regions[i];
                if (gpa >= r->gpa && gpa - r->gpa < r->size) {
                        *contiguous = r->size - (gpa - r->gpa);
                        return r->host + (gpa - r->gpa);
                }
        }
        return NULL;
}

void *kata_guest_mem_gpa(const struct kata_guest_mem *mem, uint64_t gpa, uint64_t len)
{
        uint64_t avail = 0;
        void *p = kata_guest_mem_gpa_span(mem, gpa, &avail);
        return p && len <= avail ? p : NULL;
}

void *kata_guest_mem_uva(const struct kata_guest_mem *mem, uint64_t uva, uint64_t len)
{
        for (size_t i = 0; i < mem->nregions; i++) {
                const struct kata_guest_region *r = &mem->regions[i];
                if (uva >= r->uva && uva - r->uva < r->size && len <= r->size - (uva - r->uva))
                        return r->host + (uva - r->uva);
        }
        return NULL;
}
