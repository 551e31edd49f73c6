/* The floor for ringside's AF_XDP capture (`live --backend xdp`): a minimal AF_XDP receive loop
 * on libxdp's xsk API. It takes every frame off the RX ring (reads its length) and hands its
 * chunk straight back on the FILL ring; nothing else. Same geometry as ringside's queue: a
 * 4096-chunk UMEM of 2048 B, a 2048-entry RX ring with 2048 chunks on FILL, copy mode,
 * XDP_USE_NEED_WAKEUP when the kernel has it, batches of up to 64, poll() only on an empty ring.
 *
 *   apt-get install -y libxdp-dev libbpf-dev
 *   cc -O2 -o xdp_capture bench/c/xdp_capture.c -lxdp -lbpf
 *   xdp_capture IFACE SECONDS MODE        (MODE: skb | drv; queue 0; run as root)
 *
 * libxdp attaches its default XDP program (redirect to the XSKMAP) and detaches it on exit.
 * Prints "ready" on stderr once bound; after SECONDS (or on SIGINT/SIGTERM) prints exactly one
 * line on stdout: "frames=N drops=M", drops = XDP_STATISTICS rx_dropped + rx_ring_full, the
 * same sum ringside's AF_XDP link reports. rx_fill_ring_empty_descs is not added: in copy mode
 * Linux 6.18 counts a frame dropped for want of a FILL chunk in both rx_dropped and
 * rx_fill_ring_empty_descs (measured: 21,001 lost, each counter 21,001). "bytes=N" and the three
 * counters go to stderr. */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>

#define FRAMES 4096
#define CHUNK 2048
#define RING 2048
/* The FILL ring can hold every chunk of the UMEM, twice the RING on it: the kernel publishes its
 * FILL consumer index after it posts the frame on RX (xsk_flush), so for a moment the chunks we
 * just received still count as "on FILL". A FILL ring of RING entries is then full, and a chunk
 * that cannot go back is lost for good (libxdp's xdpsock sample doubles FILL for the same reason). */
#define FILL 4096
#define BATCH 64

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static void die(const char *what, int err) {
    fprintf(stderr, "xdp_capture: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[3], "skb") && strcmp(argv[3], "drv"))) {
        fprintf(stderr, "usage: %s IFACE SECONDS skb|drv\n", argv[0]);
        return 2;
    }
    if (!if_nametoindex(argv[1])) die(argv[1], errno);
    void *area = mmap(NULL, (size_t)FRAMES * CHUNK, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (area == MAP_FAILED) die("mmap", errno);
    struct xsk_ring_prod fill;
    struct xsk_ring_cons comp, rx;
    struct xsk_umem *umem;
    struct xsk_umem_config ucfg = { .fill_size = FILL, .comp_size = RING, .frame_size = CHUNK,
                                    .frame_headroom = 0, .flags = 0 };
    int err = xsk_umem__create(&umem, area, (size_t)FRAMES * CHUNK, &fill, &comp, &ucfg);
    if (err) die("xsk_umem__create", err);

    /* The first RING chunks go to the kernel to receive into, before bind: the first frame
     * has somewhere to land. */
    __u32 idx;
    if (xsk_ring_prod__reserve(&fill, RING, &idx) != RING) die("fill ring", ENOSPC);
    for (__u32 i = 0; i < RING; i++) *xsk_ring_prod__fill_addr(&fill, idx + i) = (__u64)i * CHUNK;
    xsk_ring_prod__submit(&fill, RING);

    struct xsk_socket *xsk;
    struct xsk_socket_config scfg = {
        .rx_size = RING, .tx_size = 0, /* no TX ring: receive only */
        .xdp_flags = strcmp(argv[3], "skb") ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE,
        .bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
    };
    err = xsk_socket__create(&xsk, argv[1], 0, umem, &rx, NULL, &scfg);
    if (err == -EINVAL) { /* a kernel before 5.4 has no XDP_USE_NEED_WAKEUP */
        scfg.bind_flags = XDP_COPY;
        err = xsk_socket__create(&xsk, argv[1], 0, umem, &rx, NULL, &scfg);
    }
    if (err) die("xsk_socket__create", err);

    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    signal(SIGALRM, on_sig);
    alarm((unsigned)atoi(argv[2]));
    fprintf(stderr, "ready\n");
    int fd = xsk_socket__fd(xsk);
    struct pollfd pfd = { fd, POLLIN, 0 };
    unsigned long long frames = 0, bytes = 0;
    int rc = 0;
    while (!stop) {
        __u32 rx_idx, fill_idx;
        __u32 n = xsk_ring_cons__peek(&rx, BATCH, &rx_idx);
        if (!n) {
            poll(&pfd, 1, 100);
            continue;
        }
        /* FILL has room for them: it can hold the whole UMEM (see FILL above). */
        if (xsk_ring_prod__reserve(&fill, n, &fill_idx) != n) {
            fprintf(stderr, "xdp_capture: FILL ring full (cannot happen: it has room for the "
                            "whole UMEM)\n");
            rc = 1;
            break;
        }
        for (__u32 i = 0; i < n; i++) {
            const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, rx_idx + i);
            bytes += d->len;
            *xsk_ring_prod__fill_addr(&fill, fill_idx + i) = xsk_umem__extract_addr(d->addr)
                                                             & ~(__u64)(CHUNK - 1);
        }
        xsk_ring_cons__release(&rx, n);
        xsk_ring_prod__submit(&fill, n);
        if (xsk_ring_prod__needs_wakeup(&fill))
            recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
        frames += n;
    }
    struct xdp_statistics st = { 0 };
    socklen_t len = sizeof st;
    if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &len)) {
        perror("XDP_STATISTICS");
        rc = 1;
    }
    unsigned long long drops = st.rx_dropped + st.rx_ring_full;
    printf("frames=%llu drops=%llu\n", frames, drops);
    fprintf(stderr, "bytes=%llu rx_dropped=%llu rx_ring_full=%llu rx_fill_ring_empty_descs=%llu\n",
            bytes, (unsigned long long)st.rx_dropped, (unsigned long long)st.rx_ring_full,
            (unsigned long long)st.rx_fill_ring_empty_descs);
    xsk_socket__delete(xsk);
    xsk_umem__delete(umem);
    return rc;
}
