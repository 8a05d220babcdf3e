/* virtio-vsock packets: the 44-byte little-endian header (struct virtio_vsock_hdr) and
 * the stream operations. Helpers read and write it at the start of a descriptor chain,
 * wherever the driver split it. */
#ifndef KATA_VSOCK_PACKET_H
#define KATA_VSOCK_PACKET_H

#include <linux/virtio_vsock.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vsock/virtqueue.h"

#define KATA_VSOCK_HDR_SIZE sizeof(struct virtio_vsock_hdr)
#define KATA_VSOCK_HOST_CID 2u

/* The header in host byte order. */
struct kata_vsock_pkt {
        uint64_t src_cid, dst_cid;
        uint32_t src_port, dst_port;
        uint32_t len;
        uint16_t type, op;
        uint32_t flags, buf_alloc, fwd_cnt;
};

const char *kata_vsock_op_name(uint16_t op);

void kata_vsock_pkt_decode(const struct virtio_vsock_hdr *wire, struct kata_vsock_pkt *p);
void kata_vsock_pkt_encode(const struct kata_vsock_pkt *p, struct virtio_vsock_hdr *wire);

/* Reads the header of a guest tx chain and checks that the payload it announces fits the
 * chain's readable part. */
int kata_vsock_pkt_from_chain(const struct kata_virtq_chain *chain, struct kata_vsock_pkt *p,
                              kata_error *err);

#endif
