/* The floor for ringside's capture: a minimal TPACKET_V3 capture loop. It walks every frame of
 * every block (reads its length) and hands the block back; nothing else.
 *
 *   v3_capture IFACE [BLOCK_KIB BLOCKS RETIRE_MS]
 *
 * Prints "ready" on stderr once the ring is mapped; on SIGINT prints "frames_captured N",
 * "bytes N" and "kernel_drops N" on stdout (the same names ringside prints). */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static void die(const char *what) { perror(what); exit(1); }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s IFACE [BLOCK_KIB BLOCKS RETIRE_MS]\n", argv[0]); return 2; }
    unsigned block = (argc > 2 ? atoi(argv[2]) : 256) << 10, nblocks = argc > 3 ? atoi(argv[3]) : 32;
    unsigned retire = argc > 4 ? atoi(argv[4]) : 1;
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) die("socket");
    int v = TPACKET_V3;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v)) die("PACKET_VERSION");
    struct tpacket_req3 req = { .tp_block_size = block, .tp_block_nr = nblocks, .tp_frame_size = 2048,
                                .tp_frame_nr = (block / 2048) * nblocks, .tp_retire_blk_tov = retire };
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req)) die("PACKET_RX_RING");
    uint8_t *ring = mmap(NULL, (size_t)block * nblocks, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_POPULATE, fd, 0);
    if (ring == MAP_FAILED) die("mmap");
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = if_nametoindex(argv[1]) };
    if (!sll.sll_ifindex) die("if_nametoindex");
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll)) die("bind");
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    fprintf(stderr, "ready\n");
    unsigned cur = 0;
    unsigned long long frames = 0, bytes = 0;
    struct pollfd pfd = { fd, POLLIN, 0 };
    while (!stop) {
        struct tpacket_block_desc *b = (void *)(ring + (size_t)cur * block);
        if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            poll(&pfd, 1, 100);
            continue;
        }
        unsigned n = b->hdr.bh1.num_pkts;
        struct tpacket3_hdr *h = (void *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
        for (unsigned i = 0; i < n; i++) {
            bytes += h->tp_snaplen;
            h = (void *)((uint8_t *)h + h->tp_next_offset);
        }
        frames += n;
        __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        cur = (cur + 1) % nblocks;
    }
    struct tpacket_stats_v3 st;
    socklen_t sl = sizeof st;
    getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
    printf("frames_captured %llu\nbytes %llu\nkernel_drops %u\n", frames, bytes, st.tp_drops);
    return 0;
}
