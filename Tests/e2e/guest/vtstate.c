/* vtstate TTY: prints a virtual terminal's display and keyboard modes and
 * whether its line discipline edits lines and echoes, as
 * "TTY display=text|graphics keyboard=raw|xlate|mediumraw|unicode|off lines=[-]icanon,[-]echo".
 * Built static into the e2e guest (busybox has no KDGETMODE/KDGKBMODE). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static const char *display_name(int mode) {
    switch (mode) {
    case KD_TEXT: return "text";
    case KD_GRAPHICS: return "graphics";
    default: return "?";
    }
}

static const char *keyboard_name(int mode) {
    switch (mode) {
    case K_RAW: return "raw";
    case K_XLATE: return "xlate";
    case K_MEDIUMRAW: return "mediumraw";
    case K_UNICODE: return "unicode";
    case K_OFF: return "off";
    default: return "?";
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: vtstate /dev/ttyN\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY | O_NOCTTY);
    if (fd < 0) {
        fprintf(stderr, "vtstate: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int display = -1, keyboard = -1;
    if (ioctl(fd, KDGETMODE, &display) < 0 || ioctl(fd, KDGKBMODE, &keyboard) < 0) {
        fprintf(stderr, "vtstate: %s is not a virtual terminal: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct termios t;
    if (tcgetattr(fd, &t) < 0) {
        fprintf(stderr, "vtstate: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    printf("%s display=%s keyboard=%s lines=%sicanon,%secho\n", argv[1], display_name(display),
           keyboard_name(keyboard), t.c_lflag & ICANON ? "" : "-", t.c_lflag & ECHO ? "" : "-");
    close(fd);
    return 0;
}
