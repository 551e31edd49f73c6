/* The floor for ringside's responder: a minimal ICMP echo responder on a TPACKET_V2 RX ring,
 * woken by poll(), replying with send() on the same socket. No ARP (the bench gives the peer a
 * static neighbour entry), no checks beyond what answering a ping needs.
 *
 *   v2_responder IFACE A.B.C.D [BLOCK_KIB BLOCKS FRAME_BYTES [spin]]
 *
 * Prints "ready" on stderr once the ring is mapped; on SIGINT prints "frames_in N",
 * "replies N" and "kernel_drops N" on stdout (the same names ringside prints). */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static void die(const char *what) { perror(what); exit(1); }

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s IFACE IP [BLOCK_KIB BLOCKS FRAME [spin]]\n", argv[0]); return 2; }
    unsigned block = (argc > 3 ? atoi(argv[3]) : 64) << 10, nblocks = argc > 4 ? atoi(argv[4]) : 64;
    unsigned fsize = argc > 5 ? atoi(argv[5]) : 2048;
    int spin = argc > 6 && strcmp(argv[6], "spin") == 0;
    struct in_addr me;
    if (inet_pton(AF_INET, argv[2], &me) != 1) { fprintf(stderr, "bad IP\n"); return 2; }
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) die("socket");
    int v = TPACKET_V2, one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v)) die("PACKET_VERSION");
    struct tpacket_req req = { block, nblocks, fsize, (block / fsize) * nblocks };
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req)) die("PACKET_RX_RING");
    size_t len = (size_t)block * nblocks;
    uint8_t *ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (ring == MAP_FAILED) die("mmap");
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = if_nametoindex(argv[1]) };
    if (!sll.sll_ifindex) die("if_nametoindex");
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll)) die("bind");
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    fprintf(stderr, "ready\n");
    unsigned per_block = block / fsize, nframes = per_block * nblocks, cur = 0;
    unsigned long long in = 0, out = 0;
    uint8_t reply[2048];
    struct pollfd pfd = { fd, POLLIN, 0 };
    while (!stop) {
        struct tpacket2_hdr *h =
            (void *)(ring + (size_t)(cur / per_block) * block + (size_t)(cur % per_block) * fsize);
        if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            if (!spin) poll(&pfd, 1, 100);
            continue;
        }
        const uint8_t *f = (uint8_t *)h + h->tp_mac;
        unsigned n = h->tp_snaplen;
        in++;
        /* Ethernet IPv4, no options, ICMP echo request to us. */
        if (n >= 42 && n <= sizeof reply && f[12] == 0x08 && f[13] == 0x00 && f[14] == 0x45 &&
            f[23] == 1 && memcmp(f + 30, &me, 4) == 0 && f[34] == 8) {
            memcpy(reply, f + 6, 6);
            memcpy(reply + 6, f, 6);
            memcpy(reply + 12, f + 12, n - 12);
            memcpy(reply + 26, f + 30, 4);
            memcpy(reply + 30, f + 26, 4);
            reply[34] = 0;
            /* RFC 1624 incremental update: the type word went from 0x0800 to 0x0000. */
            uint32_t c = (uint32_t)((reply[36] << 8) | reply[37]) + 0x0800;
            c = (c & 0xffff) + (c >> 16);
            reply[36] = c >> 8;
            reply[37] = c & 0xff;
            if (send(fd, reply, n, 0) == (ssize_t)n) out++;
        }
        __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        cur = (cur + 1) % nframes;
    }
    struct tpacket_stats st;
    socklen_t sl = sizeof st;
    getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
    printf("frames_in %llu\nreplies %llu\nkernel_drops %u\n", in, out, st.tp_drops);
    return 0;
}
