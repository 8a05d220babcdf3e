/* Feeds a sequence of vhost-user messages (12-byte header, then the payload the header
 * announces, cut at the input's end) to the backend's validator and device state machine.
 * Requests that carry an fd get a fresh eventfd; SET_MEM_TABLE gets one 64 KiB memfd per
 * region, so regions past its end must be refused before anything touches them. When a ring becomes
 * usable, a few chains are popped from it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vsock/vhost_user.h"

#define MEM_GPA    0x1000u
#define MEM_UVA    0x100000u
#define MEM_SIZE   0x10000u
#define MEMFD_SIZE 0x10000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t *ram;
        if (!ram)
                ram = calloc(1, MEM_SIZE);
        memset(ram, 0, MEM_SIZE);
        struct kata_vu_dev dev;
        kata_vu_dev_init(&dev, 3);
        kata_guest_mem_add(&dev.mem, MEM_GPA, MEM_SIZE, MEM_UVA, ram, NULL);
        size_t off = 0;
        while (size - off >= KATA_VU_HDR_SIZE) {
                struct kata_vu_msg msg, reply;
                memcpy(&msg.hdr, data + off, KATA_VU_HDR_SIZE);
                off += KATA_VU_HDR_SIZE;
                memset(&msg.payload, 0, sizeof(msg.payload));
                size_t n = msg.hdr.size;
                if (n > KATA_VU_PAYLOAD_MAX)
                        n = KATA_VU_PAYLOAD_MAX;
                if (n > size - off)
                        n = size - off;
                memcpy(msg.payload.raw, data + off, n);
                off += n;
                int fds[KATA_GUEST_MEM_MAX_REGIONS];
                size_t nfds = 0;
                bool wants_fd = msg.hdr.request == KATA_VU_SET_VRING_KICK ||
                                msg.hdr.request == KATA_VU_SET_VRING_CALL ||
                                msg.hdr.request == KATA_VU_SET_VRING_ERR;
                if (msg.hdr.request == KATA_VU_SET_MEM_TABLE && msg.payload.mem.nregions >= 1 &&
                    msg.payload.mem.nregions <= KATA_GUEST_MEM_MAX_REGIONS) {
                        /* Small memfds: the size check must refuse regions past their end. */
                        int mfd = memfd_create("fuzz-ram", MFD_CLOEXEC);
                        if (mfd >= 0 && ftruncate(mfd, MEMFD_SIZE) == 0) {
                                for (uint32_t i = 0; i < msg.payload.mem.nregions; i++)
                                        fds[nfds++] = i ? dup(mfd) : mfd;
                        } else if (mfd >= 0) {
                                close(mfd);
                        }
                } else if (wants_fd && !(msg.payload.u64 & KATA_VU_VRING_NOFD)) {
                        fds[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                        if (fds[0] >= 0)
                                nfds = 1;
                }
                bool has_reply, ring_changed;
                kata_error err = KATA_ERROR_INIT;
                kata_vu_dev_handle(&dev, &msg, fds, nfds, &reply, &has_reply, &ring_changed, &err);
                for (int q = 0; q < KATA_VSOCK_NUM_QUEUES; q++) {
                        struct kata_virtq_chain chain;
                        for (int i = 0; i < 4; i++) {
                                int rc = kata_virtq_pop(&dev.vq[q], &dev.mem, &chain, &err);
                                if (rc == 0)
                                        break;
                                if (rc > 0)
                                        kata_virtq_push(&dev.vq[q], chain.head, 0);
                        }
                        kata_virtq_notify(&dev.vq[q]);
                }
        }
        kata_vu_dev_release(&dev);
        return 0;
}
