/*
 * ioctl-floor: the cost of one FWCTL_INFO and one FWCTL_RPC (CXL Get
 * Supported Features) from a plain C loop, the floor that fwctl-cts's kernel
 * target is measured against (vm/bench-kernel.mjs, `npm run bench:kernel`).
 *
 *   ioctl-floor /dev/fwctl/fwctlN [iterations]
 *
 * Prints one JSON object: nanoseconds per call for each ioctl (the fastest
 * batch of BATCH calls, and the median batch), and for getppid(2). The structs are
 * spelled out here (include/uapi/fwctl/fwctl.h, include/uapi/fwctl/cxl.h), so
 * no kernel headers with fwctl are needed on the build machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FWCTL_INFO 0x9A00 /* _IO(0x9A, 0) */
#define FWCTL_RPC 0x9A01  /* _IO(0x9A, 1) */

struct fwctl_info {
	uint32_t size;
	uint32_t flags;
	uint32_t out_device_type;
	uint32_t device_data_len;
	uint64_t out_device_data;
};

struct fwctl_rpc {
	uint32_t size;
	uint32_t scope;
	uint32_t in_len;
	uint32_t out_len;
	uint64_t in;
	uint64_t out;
};

/* struct fwctl_rpc_cxl with the Get Supported Features input: 16 + 8 bytes. */
struct gsf_in {
	uint32_t opcode;
	uint32_t flags;
	uint32_t op_size;
	uint32_t reserved1;
	uint32_t count;
	uint16_t start_idx;
	uint16_t reserved;
};

/* Calls per timed batch (vm/bench-kernel.mjs times the node side the same way). */
#define BATCH 500

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long iterations = argc > 2 ? atol(argv[2]) : 20000;
	struct fwctl_info info;
	struct fwctl_rpc rpc;
	struct gsf_in in;
	unsigned char out[72];
	double t0, info_ns, rpc_ns;
	int fd;

	if (argc < 2 || iterations < 1) {
		fprintf(stderr, "usage: %s /dev/fwctl/fwctlN [iterations]\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	memset(&in, 0, sizeof(in));
	in.opcode = 0x0500;
	in.op_size = 8;
	in.count = 48;
	memset(&rpc, 0, sizeof(rpc));
	rpc.size = sizeof(rpc);
	rpc.scope = 0; /* FWCTL_RPC_CONFIGURATION */
	rpc.in_len = sizeof(in);
	rpc.in = (uintptr_t)&in;
	rpc.out = (uintptr_t)out;

	/* Warm up, and check both calls work. */
	for (int i = 0; i < 100; i++) {
		if (ioctl(fd, FWCTL_INFO, &info) != 0) {
			fprintf(stderr, "FWCTL_INFO: %s\n", strerror(errno));
			return 1;
		}
		rpc.out_len = sizeof(out);
		if (ioctl(fd, FWCTL_RPC, &rpc) != 0) {
			fprintf(stderr, "FWCTL_RPC: %s\n", strerror(errno));
			return 1;
		}
	}

	/*
	 * In batches of BATCH calls: on a shared, emulated machine a batch that was
	 * preempted only gets slower, so the fastest batch is the cost of a call and
	 * the median says how steady it was.
	 */
	long batches = (iterations + BATCH - 1) / BATCH;
	double *info_b = calloc(batches, sizeof(double)), *rpc_b = calloc(batches, sizeof(double));
	double *ppid_b = calloc(batches, sizeof(double));

	if (!info_b || !rpc_b || !ppid_b)
		return 1;
	/*
	 * The cheapest syscall there is (no arguments, no fwctl): what crossing into
	 * the kernel costs, the baseline for the same call made through koffi.
	 */
	for (long b = 0; b < batches; b++) {
		t0 = now_ns();
		for (long i = 0; i < BATCH; i++)
			syscall(SYS_getppid);
		ppid_b[b] = (now_ns() - t0) / BATCH;
	}
	for (long b = 0; b < batches; b++) {
		t0 = now_ns();
		for (long i = 0; i < BATCH; i++)
			ioctl(fd, FWCTL_INFO, &info);
		info_b[b] = (now_ns() - t0) / BATCH;
	}
	for (long b = 0; b < batches; b++) {
		t0 = now_ns();
		for (long i = 0; i < BATCH; i++) {
			rpc.out_len = sizeof(out);
			ioctl(fd, FWCTL_RPC, &rpc);
		}
		rpc_b[b] = (now_ns() - t0) / BATCH;
	}
	qsort(info_b, batches, sizeof(double), cmp_double);
	qsort(rpc_b, batches, sizeof(double), cmp_double);
	qsort(ppid_b, batches, sizeof(double), cmp_double);
	info_ns = info_b[0];
	rpc_ns = rpc_b[0];

	printf("{\"iterations\": %ld, \"batch\": %d, \"infoNs\": %.1f, \"rpcNs\": %.1f, \"infoMedianNs\": %.1f, \"rpcMedianNs\": %.1f, \"rpcOutLen\": %u, \"getppidNs\": %.1f}\n",
	       batches * BATCH, BATCH, info_ns, rpc_ns, info_b[batches / 2], rpc_b[batches / 2], rpc.out_len, ppid_b[0]);
	close(fd);
	return 0;
}
