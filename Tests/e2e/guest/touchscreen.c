/* A touchscreen for the e2e guest, through uinput: multitouch (type B:
 * ABS_MT_SLOT, ABS_MT_TRACKING_ID, ABS_MT_POSITION_X/Y), BTN_TOUCH and
 * ABS_X/Y, INPUT_PROP_DIRECT, axes 0...32767 like QEMU's tablet. Made before
 * wskdesk starts, so that libinput finds it when it enumerates the seat (the
 * guest has no udevd to announce devices that come later).
 *
 * Usage: touchscreen READY-FILE <commands
 * Writes the device's event node (/dev/input/eventN) to READY-FILE once the
 * device exists, then reads lines from standard input:
 *   tap X Y      a finger down at (X, Y) in axis units, held 60 ms, lifted
 * and says "touchscreen: tap X Y" on standard output after each. Built
 * static on the host (Tests/e2e/run), like vtstate. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/uinput.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define AXIS_MAX 32767

static int fd;

static void emit(int type, int code, int value) {
    struct input_event event;
    memset(&event, 0, sizeof event);
    event.type = type;
    event.code = code;
    event.value = value;
    if (write(fd, &event, sizeof event) != sizeof event) {
        perror("touchscreen: write");
        exit(1);
    }
}

static void axis(int code) {
    struct uinput_abs_setup setup;
    memset(&setup, 0, sizeof setup);
    setup.code = code;
    setup.absinfo.minimum = 0;
    setup.absinfo.maximum = code == ABS_MT_SLOT ? 9 : AXIS_MAX;
    if (ioctl(fd, UI_ABS_SETUP, &setup) < 0) {
        perror("touchscreen: UI_ABS_SETUP");
        exit(1);
    }
    ioctl(fd, UI_SET_ABSBIT, code);
}

/* The event node of the device just made: /sys/devices/virtual/input/NAME/eventN. */
static int event_node(char *out, size_t size) {
    char name[64], path[128];
    if (ioctl(fd, UI_GET_SYSNAME(sizeof name), name) < 0) return -1;
    snprintf(path, sizeof path, "/sys/devices/virtual/input/%s", name);
    DIR *dir = opendir(path);
    if (!dir) return -1;
    struct dirent *entry;
    int found = -1;
    while ((entry = readdir(dir))) {
        if (strncmp(entry->d_name, "event", 5) == 0) {
            snprintf(out, size, "/dev/input/%s", entry->d_name);
            found = 0;
        }
    }
    closedir(dir);
    return found;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: touchscreen READY-FILE <commands\n");
        return 2;
    }
    fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK);
    if (fd < 0) {
        perror("touchscreen: /dev/uinput");
        return 1;
    }
    ioctl(fd, UI_SET_EVBIT, EV_SYN);
    ioctl(fd, UI_SET_EVBIT, EV_KEY);
    ioctl(fd, UI_SET_KEYBIT, BTN_TOUCH);
    ioctl(fd, UI_SET_EVBIT, EV_ABS);
    ioctl(fd, UI_SET_PROPBIT, INPUT_PROP_DIRECT);
    int axes[] = {ABS_X, ABS_Y, ABS_MT_SLOT, ABS_MT_TRACKING_ID, ABS_MT_POSITION_X, ABS_MT_POSITION_Y};
    for (unsigned i = 0; i < sizeof axes / sizeof axes[0]; i++) axis(axes[i]);

    struct uinput_setup setup;
    memset(&setup, 0, sizeof setup);
    setup.id.bustype = BUS_VIRTUAL;
    setup.id.vendor = 0x1234;
    setup.id.product = 0x5678;
    snprintf(setup.name, sizeof setup.name, "e2e touchscreen");
    if (ioctl(fd, UI_DEV_SETUP, &setup) < 0 || ioctl(fd, UI_DEV_CREATE) < 0) {
        perror("touchscreen: creating the device");
        return 1;
    }
    char node[300];
    if (event_node(node, sizeof node) < 0) {
        fprintf(stderr, "touchscreen: cannot find the event node of the new device\n");
        return 1;
    }
    FILE *ready = fopen(argv[1], "w");
    if (!ready || fprintf(ready, "%s\n", node) < 0 || fclose(ready) != 0) {
        perror("touchscreen: writing the ready file");
        return 1;
    }

    char line[128];
    int tracking = 1;
    while (fgets(line, sizeof line, stdin)) {
        int x, y;
        if (sscanf(line, "tap %d %d", &x, &y) != 2 || x < 0 || y < 0 || x > AXIS_MAX || y > AXIS_MAX) {
            fprintf(stderr, "touchscreen: not understood: %s", line);
            continue;
        }
        emit(EV_ABS, ABS_MT_SLOT, 0);
        emit(EV_ABS, ABS_MT_TRACKING_ID, tracking++);
        emit(EV_ABS, ABS_MT_POSITION_X, x);
        emit(EV_ABS, ABS_MT_POSITION_Y, y);
        emit(EV_KEY, BTN_TOUCH, 1);
        emit(EV_ABS, ABS_X, x);
        emit(EV_ABS, ABS_Y, y);
        emit(EV_SYN, SYN_REPORT, 0);
        usleep(60 * 1000);
        emit(EV_ABS, ABS_MT_SLOT, 0);
        emit(EV_ABS, ABS_MT_TRACKING_ID, -1);
        emit(EV_KEY, BTN_TOUCH, 0);
        emit(EV_SYN, SYN_REPORT, 0);
        printf("touchscreen: tap %d %d\n", x, y);
        fflush(stdout);
    }
    ioctl(fd, UI_DEV_DESTROY);
    return 0;
}
