#include "vsock/vsock_packet.h"

#include <endian.h>
#include <errno.h>

const char *kata_vsock_op_name(uint16_t op)
{
        switch (op) {
        case VIRTIO_VSOCK_OP_REQUEST:
                return "REQUEST";
        case VIRTIO_VSOCK_OP_RESPONSE:
                return "RESPONSE";
        case VIRTIO_VSOCK_OP_RST:
                return "RST";
        case VIRTIO_VSOCK_OP_SHUTDOWN:
                return "SHUTDOWN";
        case VIRTIO_VSOCK_OP_RW:
                return "RW";
        case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
                return "CREDIT_UPDATE";
        case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
                return "CREDIT_REQUEST";
        default:
                return "INVALID";
        }
}

void kata_vsock_pkt_decode(const struct virtio_vsock_hdr *w, struct kata_vsock_pkt *p)
{
        p->src_cid = le64toh(w->src_cid);
        p->dst_cid = le64toh(w->dst_cid);
        p->src_port = le32toh(w->src_port);
        p->dst_port = le32toh(w->dst_port);
        p->len = le32toh(w->len);
        p->type = le16toh(w->type);
        p->op = le16toh(w->op);
        p->flags = le32toh(w->flags);
        p->buf_alloc = le32toh(w->buf_alloc);
        p->fwd_cnt = le32toh(w->fwd_cnt);
}

void kata_vsock_pkt_encode(const struct kata_vsock_pkt *p, struct virtio_vsock_hdr *w)
{
        w->src_cid = htole64(p->src_cid);
        w->dst_cid = htole64(p->dst_cid);
        w->src_port = htole32(p->src_port);
        w->dst_port = htole32(p->dst_port);
        w->len = htole32(p->len);
        w->type = htole16(p->type);
        w->op = htole16(p->op);
        w->flags = htole32(p->flags);
        w->buf_alloc = htole32(p->buf_alloc);
        w->fwd_cnt = htole32(p->fwd_cnt);
}

int kata_vsock_pkt_from_chain(const struct kata_virtq_chain *chain, struct kata_vsock_pkt *p,
                              kata_error *err)
{
        struct virtio_vsock_hdr w;
        if (chain->out_len < KATA_VSOCK_HDR_SIZE)
                return kata_error_set(err, EINVAL,
                                      "tx chain of %zu readable bytes is shorter than a vsock "
                                      "header",
                                      chain->out_len);
        kata_iov_to_buf(chain->out, chain->nout, 0, &w, sizeof(w));
        kata_vsock_pkt_decode(&w, p);
        if (p->len > chain->out_len - KATA_VSOCK_HDR_SIZE)
                return kata_error_set(
                    err, EINVAL, "vsock %s announces %u payload bytes, the chain has %zu",
                    kata_vsock_op_name(p->op), p->len, chain->out_len - KATA_VSOCK_HDR_SIZE);
        return 0;
}
