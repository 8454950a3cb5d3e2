/*
 * cpg_check: one member of a closed process group that records what it sees,
 * for the multi-node tests in c-tests/netns/.
 *
 *   cpg_check GROUP LOGFILE [PERIOD_MS]
 *
 * Joins GROUP and writes one line per event to LOGFILE, flushed at once:
 *
 *   I <nodeid> <pid>                      who this member is (first line)
 *   C <n:p ...> L <n:p:reason ...> J <n:p:reason ...>
 *                                         a configuration change: the members
 *                                         (sorted), who left and who joined
 *   D <nodeid> <pid> <seq>                a message delivered
 *   S start | S stop <last seq sent>      sending switched on or off
 *   B <text>                              a delivery that is not well formed
 *   X <call> <cs_error_t>                 a call failed; the program ends
 *
 * With PERIOD_MS it is also a sender: SIGUSR1 starts multicasting one message
 * every PERIOD_MS milliseconds (agreed order), holding this member's node id,
 * pid and a sequence number counting from 1; SIGUSR2 stops. SIGTERM or SIGINT
 * leaves the group and ends the program with status 0.
 *
 * Built against corosync's <corosync/cpg.h> API.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <corosync/cpg.h>

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t send_wanted;

static FILE *out;
static struct cpg_name group;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        send_wanted = 1;
    else if (sig == SIGUSR2)
        send_wanted = 0;
    else
        stop_requested = 1;
}

static void put(const char *line)
{
    fputs(line, out);
    fputc('\n', out);
    fflush(out);
}

static void fail(const char *call, cs_error_t err)
{
    fprintf(out, "X %s %d\n", call, (int)err);
    fflush(out);
    fprintf(stderr, "cpg_check: %s failed: %d\n", call, (int)err);
    exit(2);
}

static int by_node_pid(const void *a, const void *b)
{
    const struct cpg_address *x = a, *y = b;
    if (x->nodeid != y->nodeid)
        return x->nodeid < y->nodeid ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return 0;
}

static void put_list(const char *tag, const struct cpg_address *list, size_t n, int with_reason)
{
    struct cpg_address sorted[CPG_MEMBERS_MAX];
    size_t i;

    if (n > CPG_MEMBERS_MAX)
        n = CPG_MEMBERS_MAX;
    memcpy(sorted, list, n * sizeof *list);
    qsort(sorted, n, sizeof *sorted, by_node_pid);
    fputs(tag, out);
    for (i = 0; i < n; i++) {
        if (with_reason)
            fprintf(out, " %u:%u:%u", sorted[i].nodeid, sorted[i].pid, sorted[i].reason);
        else
            fprintf(out, " %u:%u", sorted[i].nodeid, sorted[i].pid);
    }
}

static void on_confchg(cpg_handle_t handle, const struct cpg_name *name,
                       const struct cpg_address *members, size_t n_members,
                       const struct cpg_address *left, size_t n_left,
                       const struct cpg_address *joined, size_t n_joined)
{
    (void)handle;
    (void)name;
    put_list("C", members, n_members, 0);
    put_list(" L", left, n_left, 1);
    put_list(" J", joined, n_joined, 1);
    fputc('\n', out);
    fflush(out);
}

static void on_deliver(cpg_handle_t handle, const struct cpg_name *name,
                       uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
    char text[64];
    unsigned int n, p, seq;
    char extra;

    (void)handle;
    (void)name;
    if (len == 0 || len >= sizeof text) {
        fprintf(out, "B from %u:%u length %lu\n", nodeid, pid, (unsigned long)len);
        fflush(out);
        return;
    }
    memcpy(text, msg, len);
    text[len] = '\0';
    if (sscanf(text, "%u %u %u%c", &n, &p, &seq, &extra) != 3 || n != nodeid || p != pid) {
        fprintf(out, "B from %u:%u \"%.40s\"\n", nodeid, pid, text);
        fflush(out);
        return;
    }
    fprintf(out, "D %u %u %u\n", nodeid, pid, seq);
    fflush(out);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Calls that may be refused while the executive is busy are retried for a while. */
#define RETRY(call, what)                                                                                    \
    do {                                                                                                     \
        int tries_ = 0;                                                                                      \
        cs_error_t err_;                                                                                     \
        while ((err_ = (call)) == CS_ERR_TRY_AGAIN && tries_++ < 200 && !stop_requested)                      \
            pause_ms(50);                                                                                    \
        if (err_ != CS_OK)                                                                                   \
            fail(what, err_);                                                                                \
    } while (0)

int main(int argc, char **argv)
{
    cpg_callbacks_t callbacks;
    cpg_handle_t handle;
    struct sigaction sa;
    unsigned int nodeid = 0;
    unsigned int seq = 0;
    unsigned int pid = (unsigned int)getpid();
    long period = 0;
    int sending = 0;
    long long next_send = 0;
    int fd = -1;
    cs_error_t err;
    int tries;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: cpg_check GROUP LOGFILE [PERIOD_MS]\n");
        return 64;
    }
    if (strlen(argv[1]) >= CPG_MAX_NAME_LENGTH) {
        fprintf(stderr, "cpg_check: group name too long\n");
        return 64;
    }
    if (argc == 4) {
        period = strtol(argv[3], NULL, 10);
        if (period < 1) {
            fprintf(stderr, "cpg_check: PERIOD_MS must be at least 1\n");
            return 64;
        }
    }
    group.length = (uint32_t)strlen(argv[1]);
    memcpy(group.value, argv[1], group.length);
    out = fopen(argv[2], "w");
    if (out == NULL) {
        perror(argv[2]);
        return 1;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* The library's own blocking calls are restarted; poll() below still returns EINTR. */
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    memset(&callbacks, 0, sizeof callbacks);
    callbacks.cpg_deliver_fn = on_deliver;
    callbacks.cpg_confchg_fn = on_confchg;
    /* The executive may still be starting: give it a few seconds. */
    for (tries = 0; (err = cpg_initialize(&handle, &callbacks)) != CS_OK; tries++) {
        if (tries >= 100 || stop_requested)
            fail("cpg_initialize", err);
        pause_ms(100);
    }
    RETRY(cpg_local_get(handle, &nodeid), "cpg_local_get");
    fprintf(out, "I %u %u\n", nodeid, pid);
    fflush(out);
    RETRY(cpg_fd_get(handle, &fd), "cpg_fd_get");
    RETRY(cpg_join(handle, &group), "cpg_join");

    while (!stop_requested) {
        struct pollfd pfd;
        int timeout = 200;
        long long now = now_ms();

        if (period > 0 && send_wanted != sending) {
            sending = send_wanted;
            if (sending) {
                put("S start");
                next_send = now;
            } else {
                fprintf(out, "S stop %u\n", seq);
                fflush(out);
            }
        }
        if (sending && now >= next_send) {
            char text[64];
            struct iovec iov;
            int len = snprintf(text, sizeof text, "%u %u %u", nodeid, pid, seq + 1);

            iov.iov_base = text;
            iov.iov_len = (size_t)len;
            err = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
            if (err == CS_OK) {
                seq++;
                next_send += period;
                if (next_send < now - 10 * period)
                    next_send = now; /* do not burst after a long stall */
            } else if (err == CS_ERR_TRY_AGAIN) {
                next_send = now + 1;
            } else {
                fail("cpg_mcast_joined", err);
            }
        }
        if (sending) {
            long long wait = next_send - now_ms();
            timeout = wait < 0 ? 0 : (wait > 200 ? 200 : (int)wait);
        }

        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, timeout) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            return 1;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            err = cpg_dispatch(handle, CS_DISPATCH_ALL);
            if (err != CS_OK && err != CS_ERR_TRY_AGAIN)
                fail("cpg_dispatch", err);
        }
    }

    if (sending) {
        fprintf(out, "S stop %u\n", seq);
        fflush(out);
    }
    cpg_leave(handle, &group);
    cpg_finalize(handle);
    fclose(out);
    return 0;
}
