/* The descriptor chain walker on a descriptor table taken from the input, over guest
 * memory made of two adjacent regions (so chains get split at the boundary) and a third
 * one further away. Checks that every segment it returns lies inside guest memory and
 * that the lengths add up, then decodes a vsock header from the chain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsock/virtqueue.h"
#include "vsock/vsock_packet.h"

#define REGION 0x1000u

static uint8_t ram[3][REGION];

static int inside(const struct iovec *v)
{
        for (int r = 0; r < 3; r++) {
                uint8_t *b = ram[r];
                if ((uint8_t *)v->iov_base >= b &&
                    (uint8_t *)v->iov_base + v->iov_len <= b + REGION)
                        return 1;
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 4)
                return 0;
        uint32_t num = 1u << (data[0] % 9); /* 1..256 */
        uint16_t head = (uint16_t)(data[1] | data[2] << 8);
        data += 4;
        size -= 4;
        struct vring_desc *desc = calloc(num, sizeof(*desc));
        memcpy(desc, data, size < num * sizeof(*desc) ? size : num * sizeof(*desc));
        /* Descriptor addresses mostly near the regions so that valid chains occur. */
        for (uint32_t i = 0; i < num; i++)
                desc[i].addr %= 0x8000;
        struct kata_guest_mem mem = {0};
        kata_guest_mem_add(&mem, 0x1000, REGION, 0x10000, ram[0], NULL);
        kata_guest_mem_add(&mem, 0x2000, REGION, 0x20000, ram[1], NULL);
        kata_guest_mem_add(&mem, 0x6000, REGION, 0x30000, ram[2], NULL);
        struct kata_virtq_chain chain;
        kata_error err = KATA_ERROR_INIT;
        if (kata_virtq_walk_chain(&mem, desc, num, head, &chain, &err) == 0) {
                size_t out = 0, in = 0;
                for (size_t i = 0; i < chain.nout; i++) {
                        if (!inside(&chain.out[i]))
                                abort();
                        out += chain.out[i].iov_len;
                }
                for (size_t i = 0; i < chain.nin; i++) {
                        if (!inside(&chain.in[i]))
                                abort();
                        in += chain.in[i].iov_len;
                }
                if (out != chain.out_len || in != chain.in_len)
                        abort();
                struct kata_vsock_pkt p;
                kata_vsock_pkt_from_chain(&chain, &p, &err);
        }
        free(desc);
        return 0;
}
