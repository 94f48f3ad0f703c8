/**
 * @file el_bsp_host.c
 * @brief The host "board": a Linux process whose UART is a pseudo-terminal.
 *
 * el_bsp_init() opens a pty master, prints "serial: /dev/pts/N" as the first stdout line (the
 * harness reads it to know where to connect), and keeps the slave open itself so that a client
 * closing its end does not turn every later read into EIO. The counter is CLOCK_MONOTONIC in
 * nanoseconds (EL_BSP_CYCLE_UNIT "ns"), truncated to 32 bits.
 */
#define _XOPEN_SOURCE 600
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "el_bsp.h"

static int s_master = -1;
static int s_slave = -1;

/**
 * @brief Put a terminal into raw 8-bit mode: no echo, no line editing, no CR/LF mapping.
 * @param[in] fd terminal file descriptor
 */
static void make_raw(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        return;
    }
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    (void)tcsetattr(fd, TCSANOW, &t);
}

void el_bsp_init(void)
{
    const char *name;
    s_master = posix_openpt(O_RDWR | O_NOCTTY);
    if (s_master < 0 || grantpt(s_master) != 0 || unlockpt(s_master) != 0) {
        perror("el_bsp_init: pseudo-terminal");
        exit(3);
    }
    name = ptsname(s_master);
    if (name == NULL) {
        perror("el_bsp_init: ptsname");
        exit(3);
    }
    s_slave = open(name, O_RDWR | O_NOCTTY);
    if (s_slave >= 0) {
        make_raw(s_slave);
    }
    printf("serial: %s\n", name);
    fflush(stdout);
}

void el_bsp_uart_write(const uint8_t *data, size_t n)
{
    while (n > 0u) {
        ssize_t k = write(s_master, data, n);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return;
        }
        data += k;
        n -= (size_t)k;
    }
}

int el_bsp_uart_read(void)
{
    struct pollfd p;
    uint8_t b;
    p.fd = s_master;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 0) <= 0 || (p.revents & POLLIN) == 0) {
        return -1;
    }
    if (read(s_master, &b, 1u) != 1) {
        return -1;
    }
    return b;
}

void el_bsp_cycles_restart(void)
{
}

uint32_t el_bsp_cycles(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

void el_bsp_idle(void)
{
    struct pollfd p;
    p.fd = s_master;
    p.events = POLLIN;
    p.revents = 0;
    (void)poll(&p, 1, 1); /* wake on input, or after 1 ms */
}

void el_bsp_reset(void)
{
    exit(0);
}

uint32_t el_bsp_stack_used(void)
{
    return 0u;
}
