//! Iteration counts to colours. A point that never escaped is black; one
//! that escaped after `n` iterations takes colour `n` of a cyclic gradient:
//! with `stops` colours and `steps` shades between neighbours,
//! `position = n mod (stops·steps)`, `i = position / steps`,
//! `t = position mod steps`, and each channel is
//! `a + (b − a)·t / steps` (integer division, truncating) between stop `i`
//! (`a`) and stop `i + 1` (`b`, wrapping to the first).

/// The palettes: (stops, steps between them), chosen with `p`.
pub const PALETTES: [(&[u32], u32); 3] = [
    (&[0x0000_0764, 0x0020_6bcb, 0x00ed_ffff, 0x00ff_aa00, 0x0000_0200], 16),
    (&[0x0000_0000, 0x00ff_ffff], 32),
    (&[0x00ff_0000, 0x00ff_ff00, 0x0000_ff00, 0x0000_ffff, 0x0000_00ff, 0x00ff_00ff], 12),
];

/// The colour of `n` iterations out of at most `iterations` in `palette`.
pub fn color(n: u32, iterations: u32, palette: usize) -> u32 {
    if n >= iterations {
        return 0;
    }
    let (stops, steps) = PALETTES[palette % PALETTES.len()];
    let position = n % (stops.len() as u32 * steps);
    let (i, t) = ((position / steps) as usize, (position % steps) as i32);
    let (a, b) = (stops[i], stops[(i + 1) % stops.len()]);
    let mut out = 0;
    for shift in [16u32, 8, 0] {
        let (ca, cb) = (((a >> shift) & 0xff) as i32, ((b >> shift) & 0xff) as i32);
        out |= ((ca + (cb - ca) * t / steps as i32) as u32) << shift;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients() {
        assert_eq!(color(64, 64, 0), 0);
        assert_eq!(color(0, 64, 0), 0x0000_0764);
        assert_eq!(color(16, 64, 0), 0x0020_6bcb);
        assert_eq!(color(80, 100, 0), 0x0000_0764, "cycles");
        assert_eq!(color(16, 64, 1), 0x007f_7f7f);
        assert_eq!(color(40, 64, 1), 0x00c0_c0c0, "on the way back down");
        assert_eq!(color(6, 64, 2), 0x00ff_7f00);
    }
}
