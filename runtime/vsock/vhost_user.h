/* The vhost-user protocol, backend side, as QEMU's vhost-user-vsock-pci speaks it:
 * messages (12-byte header, then a payload whose size the header gives), file descriptors
 * passed with SCM_RIGHTS, and the device state they configure (features, memory table,
 * the three rings, the guest CID read through GET_CONFIG). */
#ifndef KATA_VSOCK_VHOST_USER_H
#define KATA_VSOCK_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "vsock/guest_memory.h"
#include "vsock/virtqueue.h"

enum kata_vu_request {
        KATA_VU_GET_FEATURES = 1,
        KATA_VU_SET_FEATURES = 2,
        KATA_VU_SET_OWNER = 3,
        KATA_VU_RESET_OWNER = 4,
        KATA_VU_SET_MEM_TABLE = 5,
        KATA_VU_SET_LOG_BASE = 6,
        KATA_VU_SET_LOG_FD = 7,
        KATA_VU_SET_VRING_NUM = 8,
        KATA_VU_SET_VRING_ADDR = 9,
        KATA_VU_SET_VRING_BASE = 10,
        KATA_VU_GET_VRING_BASE = 11,
        KATA_VU_SET_VRING_KICK = 12,
        KATA_VU_SET_VRING_CALL = 13,
        KATA_VU_SET_VRING_ERR = 14,
        KATA_VU_GET_PROTOCOL_FEATURES = 15,
        KATA_VU_SET_PROTOCOL_FEATURES = 16,
        KATA_VU_GET_QUEUE_NUM = 17,
        KATA_VU_SET_VRING_ENABLE = 18,
        KATA_VU_GET_CONFIG = 24,
        KATA_VU_SET_CONFIG = 25,
};

#define KATA_VU_VERSION         0x1u
#define KATA_VU_VERSION_MASK    0x3u
#define KATA_VU_FLAG_REPLY      0x4u
#define KATA_VU_FLAG_NEED_REPLY 0x8u
#define KATA_VU_HDR_SIZE        12u
#define KATA_VU_MAX_FDS         8u
#define KATA_VU_PAYLOAD_MAX     512u
#define KATA_VU_CONFIG_MAX      256u
/* In SET_VRING_KICK/CALL/ERR: low byte is the ring index, this bit means "no fd". */
#define KATA_VU_VRING_IDX_MASK 0xffu
#define KATA_VU_VRING_NOFD     0x100u

#define KATA_VU_F_PROTOCOL_FEATURES  30
#define KATA_VU_PROTOCOL_F_MQ        0
#define KATA_VU_PROTOCOL_F_REPLY_ACK 3
#define KATA_VU_PROTOCOL_F_CONFIG    9

#define KATA_VSOCK_NUM_QUEUES 3 /* rx, tx, event */
#define KATA_VSOCK_QUEUE_RX   0
#define KATA_VSOCK_QUEUE_TX   1
#define KATA_VSOCK_QUEUE_EVT  2

struct kata_vu_hdr {
        uint32_t request;
        uint32_t flags;
        uint32_t size;
};

struct kata_vu_vring_state {
        uint32_t index;
        uint32_t num;
};

struct kata_vu_vring_addr {
        uint32_t index;
        uint32_t flags;
        uint64_t desc;
        uint64_t used;
        uint64_t avail;
        uint64_t log;
};

struct kata_vu_mem_region {
        uint64_t guest_addr;
        uint64_t size;
        uint64_t user_addr;
        uint64_t mmap_offset;
};

struct kata_vu_mem_table {
        uint32_t nregions;
        uint32_t padding;
        struct kata_vu_mem_region regions[KATA_GUEST_MEM_MAX_REGIONS];
};

struct kata_vu_config {
        uint32_t offset;
        uint32_t size;
        uint32_t flags;
        uint8_t data[KATA_VU_CONFIG_MAX];
};

/* A message as received: the header, then the payload (hdr.size bytes) in the union. */
struct kata_vu_msg {
        struct kata_vu_hdr hdr;
        union {
                uint64_t u64;
                struct kata_vu_vring_state state;
                struct kata_vu_vring_addr addr;
                struct kata_vu_mem_table mem;
                struct kata_vu_config config;
                uint8_t raw[KATA_VU_PAYLOAD_MAX];
        } payload;
};

struct kata_vu_dev {
        uint64_t features;          /* offered */
        uint64_t acked_features;    /* SET_FEATURES */
        uint64_t protocol_features; /* acked SET_PROTOCOL_FEATURES */
        bool owned;
        uint64_t guest_cid;
        struct kata_guest_mem mem;
        struct kata_virtq vq[KATA_VSOCK_NUM_QUEUES];
};

/* Prepares a device for guest_cid (features offered: VERSION_1, EVENT_IDX, protocol
 * features REPLY_ACK and CONFIG). */
void kata_vu_dev_init(struct kata_vu_dev *dev, uint64_t guest_cid);
/* Unmaps memory and closes every ring fd. */
void kata_vu_dev_release(struct kata_vu_dev *dev);

/* Name of a request for logs ("SET_MEM_TABLE"), "UNKNOWN" otherwise. */
const char *kata_vu_request_name(uint32_t request);

/* Checks a received header and payload size against what the request needs (exact sizes,
 * fd counts, the version bits). Pure; the first line of defence the fuzzer exercises. */
int kata_vu_msg_validate(const struct kata_vu_msg *msg, size_t nfds, kata_error *err);

/* Applies one validated message to dev. Takes ownership of fds[0..nfds) (each is kept or
 * closed). When the request has an answer (GET_* or a REPLY_ACK), *has_reply is set and
 * reply filled; *ring_changed tells the caller to re-register the kick fds. */
int kata_vu_dev_handle(struct kata_vu_dev *dev, const struct kata_vu_msg *msg, int *fds,
                       size_t nfds, struct kata_vu_msg *reply, bool *has_reply, bool *ring_changed,
                       kata_error *err);

/* Reads one message from the connected socket fd, with its fds (CLOEXEC). Returns 1 with a
 * message, 0 when the peer closed cleanly before a header, negative on error (truncated
 * message, oversized payload, too many fds: every received fd is closed then). */
int kata_vu_recv(int fd, struct kata_vu_msg *msg, int *fds, size_t *nfds, kata_error *err);

/* Sends a reply message (header + hdr.size bytes). */
int kata_vu_send(int fd, const struct kata_vu_msg *msg, kata_error *err);

#endif
