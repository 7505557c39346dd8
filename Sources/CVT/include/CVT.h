// A virtual terminal's display and keyboard modes: ioctl is variadic, so
// Swift cannot call it, and <linux/kd.h> is not part of Swift's Glibc module.
#ifndef WSK_CVT_H
#define WSK_CVT_H

/// Each returns 0 or -errno; on a tty that is not a VT (a pseudo-terminal)
/// they fail with -ENOTTY or -EINVAL.
int wsk_vt_get_display_mode(int fd, int *mode);   /* KDGETMODE: 0 text, 1 graphics */
int wsk_vt_set_display_mode(int fd, int mode);    /* KDSETMODE */
int wsk_vt_get_keyboard_mode(int fd, int *mode);  /* KDGKBMODE */
int wsk_vt_set_keyboard_mode(int fd, int mode);   /* KDSKBMODE */
int wsk_vt_graphics_mode(void);                   /* KD_GRAPHICS */
int wsk_vt_keyboard_off(void);                    /* K_OFF */

#endif
