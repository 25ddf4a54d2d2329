/*
 * cpgclient: the totemscope lab's CPG load generator and delivery logger.
 *
 * Joins a CPG group, multicasts messages (CPG_TYPE_AGREED) and logs, one line
 * each and in delivery order, every message its node delivers. Built by
 * test/lab/index.ts (gcc -O2 cpgclient.c -lcpg) and run inside a lab node's
 * network + mount namespace.
 *
 * Message layout (all integers little-endian, 32-byte header, then body):
 *   0  u32 magic      0x50435354 ("TSCP" in memory order)
 *   4  u16 version    1
 *   6  u16 hdr_len    32
 *   8  u32 nodeid     sender's corosync nodeid (cpg_local_get)
 *  12  u32 pid        sender's pid
 *  16  u32 seq        per-sender sequence number, first message is 1
 *  20  u32 size       total message length in bytes, header included (>= 32)
 *  24  u32 checksum   FNV-1a 32 over bytes [0,24) then [28,size)
 *  28  u32 reserved   0
 *  32  body           size-32 bytes: xorshift32 stream seeded from (nodeid, pid, seq),
 *                     or with -p text a repeating ASCII text (compressible)
 *
 * Output lines (stdout, line-buffered):
 *   start <nodeid> <pid> <group>
 *   ring <rep_hex>.<seq_hex> <member,...>          totem configuration (cpg_totem_confchg)
 *   confchg <members> <joined> <left>              each "nodeid:pid,..." or "-"
 *   sent <seq> <size> <checksum_hex>               (not with -q)
 *   deliver <nodeid> <pid> <seq> <size> <checksum_hex> [<epoch_seconds.micro> with -T]   (not with -q)
 *   bad <nodeid> <pid> <size> <reason>             a delivered message failed validation
 *   error <what> <cs_error>
 *   progress <epoch_seconds.micro> <sent> <delivered>   every -i MS milliseconds
 *   done <sent> <delivered> <bad> <reason>         reason: expect | signal | count | error
 *
 * Options:
 *   -g GROUP    group name (default "totemscope")
 *   -n COUNT    messages to send (default 0)
 *   -c          continuous: send until signalled (ignores -n)
 *   -s SIZES    comma list of sizes and ranges, e.g. "100,1500,3000-65536" (default 100).
 *               Plain sizes are used in turn; a range picks a seeded random size in it.
 *   -S SEED     seed for range sizes (default 1)
 *   -r RATE     messages per second (default 0 = flat out, retrying on CS_ERR_TRY_AGAIN)
 *   -w MEMBERS  wait until the group has had at least MEMBERS members before sending; once
 *               reached, sending goes on when members leave (a kill must not pause the survivors)
 *   -e EXPECT   exit after delivering EXPECT messages (all senders)
 *   -x          exit once all COUNT messages are sent (and delivered back to this sender)
 *   -p PATTERN  body fill: random (default) | text
 *   -q          quiet: no sent/deliver lines (counts only, for floods)
 *   -T          append a CLOCK_REALTIME timestamp to deliver lines
 *   -i MS       print a progress line every MS milliseconds (throughput measurements)
 */
#define _GNU_SOURCE
#include <corosync/cpg.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x50435354u
#define HDR_LEN 32u
#define MAX_SIZE (1024u * 1024u)
#define MAX_SIZE_SPECS 64

struct size_spec {
	uint32_t lo;
	uint32_t hi;
};

static volatile sig_atomic_t stop_requested = 0;
static uint32_t local_nodeid = 0;
static uint32_t local_pid = 0;
static uint64_t delivered = 0;
static uint64_t delivered_own = 0;
static uint64_t bad = 0;
static uint32_t group_members = 0;
/* Latched: the -w gate opens once, so survivors keep sending after a member dies. */
static int members_reached = 0;
static int quiet = 0;
static int timestamps = 0;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t message_checksum(const uint8_t *msg, uint32_t size)
{
	uint32_t h = fnv1a(2166136261u, msg, 24);
	return fnv1a(h, msg + 28, size - 28);
}

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void fill_body(uint8_t *msg, uint32_t size, uint32_t seq, int text)
{
	static const char lorem[] = "totemscope cpg load: the quick brown fox jumps over the lazy dog. ";
	if (text) {
		for (uint32_t i = HDR_LEN; i < size; i++)
			msg[i] = (uint8_t)lorem[(i + seq) % (sizeof(lorem) - 1)];
		return;
	}
	uint32_t s = (local_nodeid * 0x9E3779B1u) ^ (local_pid * 0x85EBCA6Bu) ^ (seq * 0xC2B2AE35u);
	if (s == 0)
		s = 0x12345678u;
	for (uint32_t i = HDR_LEN; i < size; i++)
		msg[i] = (uint8_t)xorshift32(&s);
}

static void build_message(uint8_t *msg, uint32_t size, uint32_t seq, int text)
{
	put_u32(msg + 0, MAGIC);
	msg[4] = 1;
	msg[5] = 0;
	msg[6] = (uint8_t)HDR_LEN;
	msg[7] = 0;
	put_u32(msg + 8, local_nodeid);
	put_u32(msg + 12, local_pid);
	put_u32(msg + 16, seq);
	put_u32(msg + 20, size);
	put_u32(msg + 28, 0);
	fill_body(msg, size, seq, text);
	put_u32(msg + 24, message_checksum(msg, size));
}

static void print_time_suffix(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	printf(" %lld.%06ld", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

static void deliver_fn(cpg_handle_t handle, const struct cpg_name *group_name, uint32_t nodeid, uint32_t pid,
		       void *msg, size_t msg_len)
{
	(void)handle;
	(void)group_name;
	const uint8_t *m = msg;
	if (msg_len < HDR_LEN || get_u32(m) != MAGIC) {
		bad++;
		printf("bad %" PRIu32 " %" PRIu32 " %zu header\n", nodeid, pid, msg_len);
		return;
	}
	uint32_t size = get_u32(m + 20);
	uint32_t sum = get_u32(m + 24);
	if (size != msg_len) {
		bad++;
		printf("bad %" PRIu32 " %" PRIu32 " %zu size\n", nodeid, pid, msg_len);
		return;
	}
	if (message_checksum(m, size) != sum) {
		bad++;
		printf("bad %" PRIu32 " %" PRIu32 " %zu checksum\n", nodeid, pid, msg_len);
		return;
	}
	if (get_u32(m + 8) != nodeid || get_u32(m + 12) != pid) {
		bad++;
		printf("bad %" PRIu32 " %" PRIu32 " %zu sender\n", nodeid, pid, msg_len);
		return;
	}
	delivered++;
	if (nodeid == local_nodeid && pid == local_pid)
		delivered_own++;
	if (!quiet) {
		printf("deliver %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32 " %08" PRIx32, nodeid, pid, get_u32(m + 16),
		       size, sum);
		if (timestamps)
			print_time_suffix();
		putchar('\n');
	}
}

static void print_addresses(const struct cpg_address *list, size_t n)
{
	if (n == 0) {
		printf(" -");
		return;
	}
	putchar(' ');
	for (size_t i = 0; i < n; i++)
		printf("%s%" PRIu32 ":%" PRIu32, i ? "," : "", list[i].nodeid, list[i].pid);
}

static void confchg_fn(cpg_handle_t handle, const struct cpg_name *group_name, const struct cpg_address *members,
		       size_t n_members, const struct cpg_address *left, size_t n_left,
		       const struct cpg_address *joined, size_t n_joined)
{
	(void)handle;
	(void)group_name;
	group_members = (uint32_t)n_members;
	printf("confchg");
	print_addresses(members, n_members);
	print_addresses(joined, n_joined);
	print_addresses(left, n_left);
	putchar('\n');
}

static void totem_confchg_fn(cpg_handle_t handle, struct cpg_ring_id ring_id, uint32_t n, const uint32_t *list)
{
	(void)handle;
	printf("ring %" PRIx32 ".%" PRIx64 " ", ring_id.nodeid, ring_id.seq);
	for (uint32_t i = 0; i < n; i++)
		printf("%s%" PRIu32, i ? "," : "", list[i]);
	putchar('\n');
}

static int parse_sizes(const char *arg, struct size_spec *specs, int *n_specs)
{
	char *copy = strdup(arg);
	char *save = NULL;
	int n = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n >= MAX_SIZE_SPECS)
			break;
		unsigned long lo, hi;
		char *dash = strchr(tok, '-');
		lo = strtoul(tok, NULL, 10);
		hi = dash ? strtoul(dash + 1, NULL, 10) : lo;
		if (lo < HDR_LEN)
			lo = HDR_LEN;
		if (hi < lo)
			hi = lo;
		if (hi > MAX_SIZE) {
			free(copy);
			return -1;
		}
		specs[n].lo = (uint32_t)lo;
		specs[n].hi = (uint32_t)hi;
		n++;
	}
	free(copy);
	*n_specs = n;
	return n > 0 ? 0 : -1;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int main(int argc, char **argv)
{
	const char *group = "totemscope";
	const char *sizes_arg = "100";
	uint64_t count = 0, expect = 0;
	uint32_t seed = 1, wait_members = 0;
	double rate = 0;
	int continuous = 0, text = 0, exit_when_sent = 0;
	uint64_t progress_us = 0;
	int opt;

	while ((opt = getopt(argc, argv, "g:n:cs:S:r:w:e:xp:qTi:")) != -1) {
		switch (opt) {
		case 'g': group = optarg; break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'c': continuous = 1; break;
		case 's': sizes_arg = optarg; break;
		case 'S': seed = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 'w': wait_members = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'e': expect = strtoull(optarg, NULL, 10); break;
		case 'x': exit_when_sent = 1; break;
		case 'p': text = strcmp(optarg, "text") == 0; break;
		case 'q': quiet = 1; break;
		case 'T': timestamps = 1; break;
		case 'i': progress_us = strtoull(optarg, NULL, 10) * 1000u; break;
		default:
			fprintf(stderr, "usage: %s [-g group] [-n count|-c] [-s sizes] [-S seed] [-r rate] [-w members] "
					"[-e expect] [-x] [-p random|text] [-q] [-T] [-i ms]\n", argv[0]);
			return 64;
		}
	}
	struct size_spec specs[MAX_SIZE_SPECS];
	int n_specs = 0;
	if (parse_sizes(sizes_arg, specs, &n_specs) != 0) {
		fprintf(stderr, "bad -s %s (sizes 32..%u)\n", sizes_arg, MAX_SIZE);
		return 64;
	}
	if (seed == 0)
		seed = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	cpg_model_v1_data_t model;
	memset(&model, 0, sizeof(model));
	model.cpg_deliver_fn = deliver_fn;
	model.cpg_confchg_fn = confchg_fn;
	model.cpg_totem_confchg_fn = totem_confchg_fn;
	model.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF;

	cpg_handle_t handle;
	cs_error_t rc;
	/* corosync may still be starting: retry the connection for a while. */
	for (int attempt = 0;; attempt++) {
		rc = cpg_model_initialize(&handle, CPG_MODEL_V1, (cpg_model_data_t *)&model, NULL);
		if (rc == CS_OK)
			break;
		if (attempt >= 100 || stop_requested) {
			printf("error cpg_initialize %d\n", rc);
			printf("done 0 0 0 error\n");
			return 2;
		}
		usleep(100000);
	}
	if (cpg_local_get(handle, &local_nodeid) != CS_OK) {
		printf("error cpg_local_get %d\n", rc);
		return 2;
	}
	local_pid = (uint32_t)getpid();

	struct cpg_name name;
	memset(&name, 0, sizeof(name));
	name.length = (uint32_t)strlen(group);
	if (name.length > CPG_MAX_NAME_LENGTH)
		name.length = CPG_MAX_NAME_LENGTH;
	memcpy(name.value, group, name.length);
	do {
		rc = cpg_join(handle, &name);
		if (rc == CS_ERR_TRY_AGAIN)
			usleep(10000);
	} while (rc == CS_ERR_TRY_AGAIN && !stop_requested);
	if (rc != CS_OK) {
		printf("error cpg_join %d\n", rc);
		printf("done 0 0 0 error\n");
		return 2;
	}
	printf("start %" PRIu32 " %" PRIu32 " %s\n", local_nodeid, local_pid, group);

	int fd;
	cpg_fd_get(handle, &fd);
	uint8_t *buf = malloc(MAX_SIZE);
	if (!buf)
		return 2;

	uint64_t sent = 0;
	uint32_t next_seq = 1;
	int spec_index = 0;
	uint32_t size_state = seed;
	uint32_t pending_size = 0;
	uint64_t interval_us = rate > 0 ? (uint64_t)(1e6 / rate) : 0;
	uint64_t next_send_at = 0;
	const char *reason = "signal";
	uint64_t next_progress = progress_us ? now_us() + progress_us : 0;
	int exit_code = 0;

	while (!stop_requested) {
		if (group_members >= wait_members)
			members_reached = 1;
		int want_send = (continuous || sent < count) && members_reached;
		int timeout_ms = 200;
		if (want_send) {
			uint64_t t = now_us();
			if (t >= next_send_at) {
				if (pending_size == 0) {
					struct size_spec s = specs[spec_index];
					spec_index = (spec_index + 1) % n_specs;
					pending_size = s.lo == s.hi ? s.lo : s.lo + xorshift32(&size_state) % (s.hi - s.lo + 1);
					build_message(buf, pending_size, next_seq, text);
				}
				struct iovec iov = { .iov_base = buf, .iov_len = pending_size };
				rc = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
				if (rc == CS_OK) {
					if (!quiet)
						printf("sent %" PRIu32 " %" PRIu32 " %08" PRIx32 "\n", next_seq, pending_size,
						       get_u32(buf + 24));
					sent++;
					next_seq++;
					pending_size = 0;
					next_send_at = interval_us ? (next_send_at ? next_send_at : t) + interval_us : 0;
					if (next_send_at && next_send_at < t)
						next_send_at = t; /* do not burst to catch up after a stall */
					timeout_ms = 0;
				} else if (rc == CS_ERR_TRY_AGAIN) {
					timeout_ms = 1;
				} else {
					printf("error cpg_mcast_joined %d\n", rc);
					reason = "error";
					exit_code = 2;
					break;
				}
			} else {
				uint64_t wait = (next_send_at - t) / 1000u;
				timeout_ms = wait > 200 ? 200 : (int)wait;
			}
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0 && errno != EINTR) {
			printf("error poll %d\n", errno);
			reason = "error";
			exit_code = 2;
			break;
		}
		if (pr > 0) {
			if (pfd.revents & (POLLHUP | POLLERR)) {
				printf("error connection_lost %d\n", (int)pfd.revents);
				reason = "error";
				exit_code = 2;
				break;
			}
			rc = cpg_dispatch(handle, CS_DISPATCH_ALL);
			if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN) {
				printf("error cpg_dispatch %d\n", rc);
				reason = "error";
				exit_code = 2;
				break;
			}
		}
		if (next_progress && now_us() >= next_progress) {
			printf("progress");
			print_time_suffix();
			printf(" %" PRIu64 " %" PRIu64 "\n", sent, delivered);
			next_progress += progress_us;
		}
		if (expect && delivered >= expect) {
			reason = "expect";
			break;
		}
		if (exit_when_sent && !continuous && sent >= count && delivered_own >= count) {
			reason = "count";
			break;
		}
	}
	printf("done %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", sent, delivered, bad, reason);
	fflush(stdout);
	cpg_leave(handle, &name);
	cpg_finalize(handle);
	free(buf);
	return exit_code;
}
