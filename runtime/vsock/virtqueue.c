#include "vsock/virtqueue.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

void kata_virtq_init(struct kata_virtq *vq)
{
        memset(vq, 0, sizeof(*vq));
        vq->kick_fd = vq->call_fd = vq->err_fd = -1;
        /* Frontends that never send SET_VRING_ENABLE (QEMU 7.2 for non-net devices) still
         * expect the ring to run once it is kicked, so rings start enabled. */
        vq->enabled = true;
}

void kata_virtq_reset(struct kata_virtq *vq)
{
        if (vq->kick_fd >= 0)
                close(vq->kick_fd);
        if (vq->call_fd >= 0)
                close(vq->call_fd);
        if (vq->err_fd >= 0)
                close(vq->err_fd);
        kata_virtq_init(vq);
}

int kata_virtq_resolve(struct kata_virtq *vq, const struct kata_guest_mem *mem, kata_error *err)
{
        vq->desc = NULL;
        vq->avail = NULL;
        vq->used = NULL;
        if (!vq->num || !vq->addr_set)
                return 0;
        uint64_t n = vq->num;
        if (vq->desc_uva % 16 || vq->avail_uva % 2 || vq->used_uva % 4)
                return kata_error_set(err, EINVAL, "misaligned ring addresses");
        /* +2 for used_event / avail_event, which exist whether or not event idx is used. */
        void *d = kata_guest_mem_uva(mem, vq->desc_uva, 16 * n);
        void *a = kata_guest_mem_uva(mem, vq->avail_uva, 4 + 2 * n + 2);
        void *u = kata_guest_mem_uva(mem, vq->used_uva, 4 + 8 * n + 2);
        if (!d || !a || !u)
                return kata_error_set(err, EFAULT,
                                      "ring addresses desc 0x%llx avail 0x%llx used 0x%llx (size "
                                      "%u) are outside guest memory",
                                      (unsigned long long)vq->desc_uva,
                                      (unsigned long long)vq->avail_uva,
                                      (unsigned long long)vq->used_uva, vq->num);
        vq->desc = d;
        vq->avail = a;
        vq->used = u;
        return 0;
}

bool kata_virtq_ready(const struct kata_virtq *vq)
{
        return vq->desc && vq->kick_fd >= 0 && vq->enabled && !vq->broken;
}

static int add_segments(const struct kata_guest_mem *mem, uint64_t addr, uint32_t len,
                        struct iovec *iov, size_t *niov, kata_error *err)
{
        while (len > 0) {
                uint64_t avail = 0;
                void *p = kata_guest_mem_gpa_span(mem, addr, &avail);
                if (!p)
                        return kata_error_set(err, EFAULT,
                                              "descriptor address 0x%llx is outside guest memory",
                                              (unsigned long long)addr);
                if (*niov >= KATA_VIRTQ_MAX_IOV)
                        return kata_error_set(err, E2BIG,
                                              "descriptor chain has more than %u "
                                              "segments",
                                              KATA_VIRTQ_MAX_IOV);
                uint32_t take = avail < len ? (uint32_t)avail : len;
                iov[*niov].iov_base = p;
                iov[*niov].iov_len = take;
                (*niov)++;
                addr += take;
                len -= take;
        }
        return 0;
}

int kata_virtq_walk_chain(const struct kata_guest_mem *mem, const struct vring_desc *desc,
                          uint32_t num, uint16_t head, struct kata_virtq_chain *chain,
                          kata_error *err)
{
        chain->head = head;
        chain->nout = chain->nin = 0;
        chain->out_len = chain->in_len = 0;
        if (head >= num)
                return kata_error_set(err, EINVAL, "chain head %u is out of range (ring size %u)",
                                      head, num);
        uint32_t idx = head;
        uint64_t total = 0;
        for (uint32_t count = 0;; count++) {
                if (count >= num)
                        return kata_error_set(err, ELOOP,
                                              "descriptor chain from %u is longer than the ring "
                                              "(loop)",
                                              head);
                struct vring_desc d;
                memcpy(&d, &desc[idx], sizeof(d));
                if (d.flags & VRING_DESC_F_INDIRECT)
                        return kata_error_set(err, EINVAL,
                                              "indirect descriptor %u (not negotiated)", idx);
                total += d.len;
                if (total > UINT32_MAX)
                        return kata_error_set(
                            err, EMSGSIZE, "descriptor chain from %u is longer than 4 GiB", head);
                int rc;
                if (d.flags & VRING_DESC_F_WRITE) {
                        rc = add_segments(mem, d.addr, d.len, chain->in, &chain->nin, err);
                        chain->in_len += d.len;
                } else {
                        if (chain->nin)
                                return kata_error_set(err, EINVAL,
                                                      "readable descriptor %u after a writable "
                                                      "one",
                                                      idx);
                        rc = add_segments(mem, d.addr, d.len, chain->out, &chain->nout, err);
                        chain->out_len += d.len;
                }
                if (rc < 0)
                        return kata_error_prefix(err, "descriptor %u", idx);
                if (!(d.flags & VRING_DESC_F_NEXT))
                        return 0;
                if (d.next >= num)
                        return kata_error_set(err, EINVAL,
                                              "descriptor %u links to %u, out of range (ring "
                                              "size %u)",
                                              idx, d.next, num);
                idx = d.next;
        }
}

static uint16_t load_avail_idx(const struct kata_virtq *vq)
{
        return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
}

int kata_virtq_pop(struct kata_virtq *vq, const struct kata_guest_mem *mem,
                   struct kata_virtq_chain *chain, kata_error *err)
{
        if (!kata_virtq_ready(vq))
                return 0;
        uint16_t avail_idx = load_avail_idx(vq);
        uint16_t pending = (uint16_t)(avail_idx - vq->last_avail_idx);
        if (pending == 0)
                return 0;
        if (pending > vq->num) {
                vq->broken = true;
                return kata_error_set(err, EINVAL,
                                      "avail index %u is %u entries ahead of %u (ring size %u)",
                                      avail_idx, pending, vq->last_avail_idx, vq->num);
        }
        uint16_t head =
            __atomic_load_n(&vq->avail->ring[vq->last_avail_idx % vq->num], __ATOMIC_RELAXED);
        vq->last_avail_idx++;
        int rc = kata_virtq_walk_chain(mem, vq->desc, vq->num, head, chain, err);
        if (rc < 0) {
                if (head < vq->num)
                        kata_virtq_push(vq, head, 0);
                else
                        vq->broken = true;
                return rc;
        }
        return 1;
}

void kata_virtq_unpop(struct kata_virtq *vq)
{
        vq->last_avail_idx--;
}

void kata_virtq_push(struct kata_virtq *vq, uint16_t head, uint32_t len)
{
        struct vring_used_elem *e = &vq->used->ring[vq->used_idx % vq->num];
        e->id = head;
        e->len = len;
        vq->used_idx++;
        __atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool kata_virtq_enable_notify(struct kata_virtq *vq)
{
        if (!kata_virtq_ready(vq))
                return false;
        if (vq->event_idx) {
                uint16_t *avail_event = (uint16_t *)&vq->used->ring[vq->num];
                __atomic_store_n(avail_event, vq->last_avail_idx, __ATOMIC_RELAXED);
        }
        atomic_thread_fence(memory_order_seq_cst);
        return load_avail_idx(vq) != vq->last_avail_idx;
}

void kata_virtq_notify(struct kata_virtq *vq)
{
        if (!vq->used || vq->call_fd < 0)
                return;
        atomic_thread_fence(memory_order_seq_cst);
        uint16_t new_idx = vq->used_idx;
        bool signal;
        if (vq->event_idx) {
                uint16_t used_event = __atomic_load_n(&vq->avail->ring[vq->num], __ATOMIC_RELAXED);
                uint16_t old = vq->signalled_used;
                signal = !vq->signalled_used_valid ||
                         (uint16_t)(new_idx - used_event - 1) < (uint16_t)(new_idx - old);
        } else {
                signal = new_idx != vq->signalled_used &&
                         !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
                           VRING_AVAIL_F_NO_INTERRUPT);
        }
        if (new_idx == vq->signalled_used && vq->signalled_used_valid)
                signal = false;
        vq->signalled_used = new_idx;
        vq->signalled_used_valid = true;
        if (signal)
                (void)eventfd_write(vq->call_fd, 1);
}

size_t kata_iov_to_buf(const struct iovec *iov, size_t niov, size_t offset, void *buf, size_t len)
{
        size_t done = 0;
        for (size_t i = 0; i < niov && done < len; i++) {
                if (offset >= iov[i].iov_len) {
                        offset -= iov[i].iov_len;
                        continue;
                }
                size_t n = iov[i].iov_len - offset;
                if (n > len - done)
                        n = len - done;
                memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + offset, n);
                done += n;
                offset = 0;
        }
        return done;
}

size_t kata_iov_from_buf(const struct iovec *iov, size_t niov, size_t offset, const void *buf,
                         size_t len)
{
        size_t done = 0;
        for (size_t i = 0; i < niov && done < len; i++) {
                if (offset >= iov[i].iov_len) {
                        offset -= iov[i].iov_len;
                        continue;
                }
                size_t n = iov[i].iov_len - offset;
                if (n > len - done)
                        n = len - done;
                memcpy((uint8_t *)iov[i].iov_base + offset, (const uint8_t *)buf + done, n);
                done += n;
                offset = 0;
        }
        return done;
}

size_t kata_iov_slice(const struct iovec *iov, size_t niov, size_t offset, size_t len,
                      struct iovec *out, size_t max_out)
{
        size_t n = 0;
        for (size_t i = 0; i < niov && len > 0 && n < max_out; i++) {
                if (offset >= iov[i].iov_len) {
                        offset -= iov[i].iov_len;
                        continue;
                }
                size_t take = iov[i].iov_len - offset;
                if (take > len)
                        take = len;
                out[n].iov_base = (uint8_t *)iov[i].iov_base + offset;
                out[n].iov_len = take;
                n++;
                len -= take;
                offset = 0;
        }
        return n;
}
