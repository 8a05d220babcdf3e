/* Split virtqueues as a device sees them: the driver offers descriptor chains in the
 * avail ring, we consume them and return them in the used ring. Everything read from
 * guest memory is untrusted: indexes, lengths, addresses and chain links are checked,
 * and a chain longer than the ring (a loop) is rejected. */
#ifndef KATA_VSOCK_VIRTQUEUE_H
#define KATA_VSOCK_VIRTQUEUE_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common/error.h"
#include "vsock/guest_memory.h"

#define KATA_VIRTQ_MAX_SIZE 32768u
/* Segments one chain may have once split at region boundaries. */
#define KATA_VIRTQ_MAX_IOV 64u

/* One descriptor chain: the device-readable part (out) then the device-writable part (in). */
struct kata_virtq_chain {
        uint16_t head;
        struct iovec out[KATA_VIRTQ_MAX_IOV];
        size_t nout;
        size_t out_len;
        struct iovec in[KATA_VIRTQ_MAX_IOV];
        size_t nin;
        size_t in_len;
};

struct kata_virtq {
        uint32_t num;                           /* ring size, 0 until SET_VRING_NUM */
        uint64_t desc_uva, avail_uva, used_uva; /* frontend addresses (SET_VRING_ADDR) */
        bool addr_set;
        struct vring_desc *desc; /* resolved by kata_virtq_resolve */
        struct vring_avail *avail;
        struct vring_used *used;
        uint16_t last_avail_idx; /* next avail entry we will read */
        uint16_t used_idx;       /* next used entry we will write */
        uint16_t signalled_used; /* used_idx at the last call */
        bool signalled_used_valid;
        bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
        bool enabled;
        bool broken;                  /* the driver corrupted the ring */
        int kick_fd, call_fd, err_fd; /* -1 when not set */
};

void kata_virtq_init(struct kata_virtq *vq);
/* Closes the fds and forgets the ring (back to kata_virtq_init state). */
void kata_virtq_reset(struct kata_virtq *vq);

/* Translates the ring addresses through mem, checking size and alignment. */
int kata_virtq_resolve(struct kata_virtq *vq, const struct kata_guest_mem *mem, kata_error *err);

/* True when the ring can be processed: addresses resolved, kick fd set, enabled, not broken. */
bool kata_virtq_ready(const struct kata_virtq *vq);

/* Walks the chain starting at head in the descriptor table desc[0..num) and fills chain.
 * Rejects: head or next out of range, more links than num (loop), indirect descriptors
 * (not negotiated), a readable descriptor after a writable one, addresses outside mem,
 * a total length above 4 GiB, more than KATA_VIRTQ_MAX_IOV segments. */
int kata_virtq_walk_chain(const struct kata_guest_mem *mem, const struct vring_desc *desc,
                          uint32_t num, uint16_t head, struct kata_virtq_chain *chain,
                          kata_error *err);

/* Takes the next available chain: 1 with chain filled, 0 when the ring is empty, negative
 * when the driver published garbage. A bad chain whose head is valid is returned to the
 * driver with length 0 before the error is reported; a bad avail index marks the ring broken. */
int kata_virtq_pop(struct kata_virtq *vq, const struct kata_guest_mem *mem,
                   struct kata_virtq_chain *chain, kata_error *err);

/* Gives the last popped chain back (we could not use it yet). */
void kata_virtq_unpop(struct kata_virtq *vq);

/* Returns a chain to the driver with len bytes written into its writable part. */
void kata_virtq_push(struct kata_virtq *vq, uint16_t head, uint32_t len);

/* Asks for a kick on the next avail entry (event idx) and returns true when entries
 * arrived meanwhile, so the caller processes them instead of waiting. */
bool kata_virtq_enable_notify(struct kata_virtq *vq);

/* Signals the call eventfd when the driver wants to hear about the used entries pushed
 * since the last signal. */
void kata_virtq_notify(struct kata_virtq *vq);

/* Copies from/to an iovec array at a byte offset; returns bytes copied. */
size_t kata_iov_to_buf(const struct iovec *iov, size_t niov, size_t offset, void *buf, size_t len);
size_t kata_iov_from_buf(const struct iovec *iov, size_t niov, size_t offset, const void *buf,
                         size_t len);
/* Fills out[] with the part of iov starting at offset, at most len bytes; returns count. */
size_t kata_iov_slice(const struct iovec *iov, size_t niov, size_t offset, size_t len,
                      struct iovec *out, size_t max_out);

#endif
