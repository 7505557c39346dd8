/* Virtual-terminal ioctls (see CVT.h). */
#include "CVT.h"

#include <errno.h>
#include <linux/kd.h>
#include <sys/ioctl.h>

static int result(int rc) { return rc < 0 ? -errno : 0; }

int wsk_vt_get_display_mode(int fd, int *mode) {
    int m = 0;
    int rc = result(ioctl(fd, KDGETMODE, &m));
    *mode = m;
    return rc;
}

int wsk_vt_set_display_mode(int fd, int mode) { return result(ioctl(fd, KDSETMODE, (long)mode)); }

int wsk_vt_get_keyboard_mode(int fd, int *mode) {
    int m = 0;
    int rc = result(ioctl(fd, KDGKBMODE, &m));
    *mode = m;
    return rc;
}

int wsk_vt_set_keyboard_mode(int fd, int mode) { return result(ioctl(fd, KDSKBMODE, (long)mode)); }
int wsk_vt_graphics_mode(void) { return KD_GRAPHICS; }
int wsk_vt_keyboard_off(void) { return K_OFF; }
