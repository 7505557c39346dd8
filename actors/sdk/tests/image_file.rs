//! `wsk::image_file`: PNG files from an independent encoder (`fixtures/`,
//! written by `fixtures/make.py`), round trips, and hostile files, each of
//! which must give its own clear error, allocate nothing large and never
//! panic.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;
use std::path::PathBuf;

use wsk::image_file::{decode_png, encode_png, DecodedImage, ImageFileError, Limits, PixelFormat, SIGNATURE};

// MARK: Measuring allocations

/// The system allocator, noting the largest single request of each thread
/// (tests run on several threads at once).
struct Largest;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(layout.size())));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(new_size)));
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// Decodes `bytes`; gives the result and the largest allocation made meanwhile.
fn decode_measured(bytes: &[u8], limits: &Limits) -> (Result<DecodedImage, ImageFileError>, usize) {
    LARGEST.with(|largest| largest.set(0));
    let result = decode_png(bytes, limits);
    (result, LARGEST.with(Cell::get))
}

// MARK: Building files

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

fn ihdr(width: u32, height: u32, depth: u8, color: u8) -> Vec<u8> {
    let mut data = width.to_be_bytes().to_vec();
    data.extend_from_slice(&height.to_be_bytes());
    data.extend_from_slice(&[depth, color, 0, 0, 0]);
    chunk(b"IHDR", &data)
}

fn file(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    for c in chunks {
        out.extend_from_slice(c);
    }
    out
}

/// A zlib stream of `data` in stored (uncompressed) blocks: a third
/// encoder, small enough to read.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() { vec![&[][..]] } else { data.chunks(65535).collect() };
    for (i, block) in blocks.iter().enumerate() {
        out.push((i + 1 == blocks.len()) as u8);
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + byte as u32) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(fixtures().join(name)).unwrap_or_else(|e| panic!("fixture {}: {} (run fixtures/make.py)", name, e))
}

// MARK: Files from another encoder

#[test]
fn decodes_every_fixture_as_its_expected_pixels() {
    let mut names: Vec<String> = fs::read_dir(fixtures())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter_map(|name| name.strip_suffix(".argb").map(String::from))
        .collect();
    names.sort();
    // make.py writes 29: grey 1–16 bits, with tRNS, grey+alpha, RGB(A) 8
    // and 16, with tRNS, palettes 1–8 bits with and without tRNS,
    // interlaced, split IDAT. Fewer means the folder lost some.
    assert_eq!(names.len(), 29, "{:?}", names);
    for name in &names {
        let image = decode_png(&fixture(&format!("{}.png", name)), &Limits::DEFAULT)
            .unwrap_or_else(|e| panic!("{}: {}", name, e));
        let expected: Vec<u32> = fixture(&format!("{}.argb", name))
            .chunks_exact(4)
            .map(|p| u32::from_be_bytes([p[0], p[1], p[2], p[3]]))
            .collect();
        assert_eq!((image.width, image.height), (13, 11), "{}", name);
        for (i, (got, want)) in image.pixels.iter().zip(&expected).enumerate() {
            assert_eq!(got, want, "{}: pixel ({}, {}) is {:08x}, not {:08x}", name, i % 13, i / 13, got, want);
        }
        assert_eq!(image.pixels.len(), expected.len(), "{}", name);
        let transparent = name.contains("trns") || name.starts_with("graya") || name.starts_with("rgba");
        assert_eq!(image.has_alpha, transparent, "{}", name);
    }
}

#[test]
fn decodes_stored_deflate_from_a_third_encoder() {
    // 3 × 2 RGB, filter 0 (none) on each row.
    let raw = [0, 255, 0, 0, 0, 255, 0, 0, 0, 255, /* row 2 */ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    let png = file(&[ihdr(3, 2, 8, 2), chunk(b"IDAT", &zlib_stored(&raw)), chunk(b"IEND", &[])]);
    let image = decode_png(&png, &Limits::DEFAULT).unwrap();
    assert_eq!(image.pixels, [0xffff_0000, 0xff00_ff00, 0xff00_00ff, 0xff01_0203, 0xff04_0506, 0xff07_0809]);
    assert!(!image.has_alpha);
}

// MARK: Round trips

fn test_picture(width: u32, height: u32) -> Vec<u32> {
    (0..width * height).map(|i| i.wrapping_mul(2_654_435_761) ^ (i << 7)).collect()
}

#[test]
fn xrgb_round_trip_is_exact() {
    for &(w, h) in &[(1, 1), (13, 11), (200, 3), (3, 200)] {
        let pixels: Vec<u32> = test_picture(w, h).iter().map(|p| p & 0x00ff_ffff).collect();
        let png = encode_png(w, h, &pixels, PixelFormat::Xrgb).unwrap();
        let image = decode_png(&png, &Limits::DEFAULT).unwrap();
        assert_eq!((image.width, image.height, image.has_alpha), (w, h, false));
        assert!(image.pixels.iter().all(|p| p >> 24 == 0xff), "opaque");
        assert_eq!(image.xrgb_over(0x0012_3456).pixels, pixels, "{} × {}", w, h);
    }
}

#[test]
fn xrgb_encoding_ignores_the_top_byte() {
    let pixels = test_picture(7, 5);
    let png = encode_png(7, 5, &pixels, PixelFormat::Xrgb).unwrap();
    let masked: Vec<u32> = pixels.iter().map(|p| p & 0x00ff_ffff).collect();
    assert_eq!(png, encode_png(7, 5, &masked, PixelFormat::Xrgb).unwrap());
}

#[test]
fn argb_round_trip_keeps_alpha() {
    let pixels = test_picture(17, 9);
    let png = encode_png(17, 9, &pixels, PixelFormat::Argb).unwrap();
    let image = decode_png(&png, &Limits::DEFAULT).unwrap();
    assert!(image.has_alpha);
    assert_eq!(image.pixels, pixels);
    // And again: the same pixels make the same file.
    assert_eq!(encode_png(17, 9, &image.pixels, PixelFormat::Argb).unwrap(), png);
}

#[test]
fn transparency_is_laid_over_the_background() {
    let pixels = [0x0000_0000, 0xff10_2030, 0x80ff_0000, 0x4000_ff00];
    let png = encode_png(2, 2, &pixels, PixelFormat::Argb).unwrap();
    let image = decode_png(&png, &Limits::DEFAULT).unwrap().xrgb_over(0x00ff_ffff);
    // (fg·a + bg·(255 − a)) / 255, rounded: 0x80 = 128 → 255·127/255 = 127 for the zero channels.
    assert_eq!(image.pixels, [0x00ff_ffff, 0x0010_2030, 0x00ff_7f7f, 0x00bf_ffbf]);
    assert!(!image.has_alpha);
}

#[test]
fn encoding_checks_the_size() {
    assert_eq!(
        encode_png(4, 4, &[0; 15], PixelFormat::Xrgb),
        Err(ImageFileError::WrongPixelCount { width: 4, height: 4, given: 15 })
    );
    assert_eq!(encode_png(0, 4, &[], PixelFormat::Xrgb), Err(ImageFileError::NoPixels { width: 0, height: 4 }));
    assert_eq!(
        encode_png(u32::MAX, u32::MAX, &[0; 4], PixelFormat::Argb),
        Err(ImageFileError::WrongPixelCount { width: u32::MAX, height: u32::MAX, given: 4 })
    );
}

// MARK: Hostile files

fn small_rgb() -> Vec<u8> {
    fixture("rgb8.png")
}

#[test]
fn an_empty_file() {
    let error = decode_png(&[], &Limits::DEFAULT).unwrap_err();
    assert_eq!(error, ImageFileError::Empty);
    assert_eq!(error.to_string(), "the file is empty");
}

#[test]
fn not_a_png() {
    let error = decode_png(b"GIF89a\x01\x00\x01\x00", &Limits::DEFAULT).unwrap_err();
    assert_eq!(error.to_string(), "the file is not a PNG (it starts with 47 49 46 38 39 61 01 00, \"GIF89a..\")");
    let error = decode_png(b"hi", &Limits::DEFAULT).unwrap_err();
    assert_eq!(error, ImageFileError::NotPng { start: b"hi".to_vec() });
}

#[test]
fn every_truncation_is_an_error() {
    let png = small_rgb();
    for len in 0..png.len() {
        let error = decode_png(&png[..len], &Limits::DEFAULT).expect_err(&format!("cut at {}", len));
        match error {
            ImageFileError::Empty => assert_eq!(len, 0),
            ImageFileError::Truncated { .. } => {}
            other => panic!("cut at {}: {:?}", len, other),
        }
    }
    // The signature and IHDR take 33 bytes; the IDAT chunk starts there.
    let error = decode_png(&png[..45], &Limits::DEFAULT).unwrap_err();
    assert_eq!(error, ImageFileError::Truncated { chunk: Some("IDAT".into()), at: 33 });
    assert_eq!(error.to_string(), "the PNG is cut short: it ends inside its IDAT chunk (which starts at byte 33)");
    let without_end = &png[..png.len() - 12];
    assert_eq!(
        decode_png(without_end, &Limits::DEFAULT).unwrap_err().to_string(),
        format!("the PNG is cut short: it ends at byte {} without its end marker (IEND)", png.len() - 12)
    );
}

#[test]
fn a_bad_checksum_names_the_chunk() {
    let mut png = small_rgb();
    png[33 + 8 + 5] ^= 0x01; // a byte of IDAT's data
    let error = decode_png(&png, &Limits::DEFAULT).unwrap_err();
    assert_eq!(error, ImageFileError::BadChecksum { chunk: "IDAT".into(), at: 33 });
    assert_eq!(error.to_string(), "the PNG is damaged: checksum error in its IDAT chunk (at byte 33)");
}

#[test]
fn a_huge_header_fails_before_any_large_allocation() {
    let png = file(&[ihdr(100_000, 100_000, 8, 6), chunk(b"IDAT", &zlib_stored(&[0; 64])), chunk(b"IEND", &[])]);
    let (result, largest) = decode_measured(&png, &Limits::DEFAULT);
    let error = result.unwrap_err();
    assert_eq!(error, ImageFileError::TooLarge { width: 100_000, height: 100_000, limits: Limits::DEFAULT });
    assert_eq!(
        error.to_string(),
        "the image is 100000 x 100000 pixels; images open up to 16384 pixels wide or high and 64 MiB of pixels (16777216 pixels)"
    );
    assert!(largest < 4096, "allocated {} bytes", largest);
}

#[test]
fn sides_and_bytes_are_limited_separately() {
    let header = |w, h| file(&[ihdr(w, h, 8, 0), chunk(b"IDAT", &zlib_stored(&[])), chunk(b"IEND", &[])]);
    let too_large = |w, h| matches!(decode_png(&header(w, h), &Limits::DEFAULT), Err(ImageFileError::TooLarge { .. }));
    assert!(too_large(16385, 1), "one side too long");
    assert!(too_large(4097, 4096), "64 MiB and 16 KiB");
    assert!(too_large(u32::MAX, u32::MAX));
    // Within the limits, the (empty) data is what is wrong.
    assert!(!too_large(16384, 1024));
    assert!(!too_large(4096, 4096));
    let small = Limits { max_side: 100, max_bytes: 1000 };
    assert!(matches!(decode_png(&small_rgb(), &small), Ok(_)), "13 × 11 × 4 = 572 bytes");
    let tiny = Limits { max_side: 100, max_bytes: 500 };
    assert!(matches!(decode_png(&small_rgb(), &tiny), Err(ImageFileError::TooLarge { width: 13, height: 11, .. })));
}

#[test]
fn a_large_image_of_little_data_needs_its_pixels_only_once() {
    // 2048 × 2048 grey, all zero: 4 Mi pixels, 16 MiB decoded, 26 KiB compressed.
    let data = zeros_zlib(2048 * 2049);
    assert!(data.len() < 32 << 10);
    let png = file(&[ihdr(2048, 2048, 8, 0), chunk(b"IDAT", &data), chunk(b"IEND", &[])]);
    let (result, largest) = decode_measured(&png, &Limits::DEFAULT);
    let image = result.unwrap();
    assert!(image.pixels.iter().all(|&p| p == 0xff00_0000));
    assert_eq!(largest, 2048 * 2048 * 4, "the pixels, and nothing as large besides");
}

/// A zlib stream of `len` zero bytes (`len` ≥ 1), written by hand: one
/// fixed-Huffman block, a literal 0 and then matches of length 258 (or
/// fewer at the end) at distance 1.
fn zeros_zlib(len: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        /// `count` bits of `value`, least significant first.
        fn put(&mut self, value: u32, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code: most significant bit first.
        fn code(&mut self, code: u32, count: u32) {
            for i in (0..count).rev() {
                self.put((code >> i) & 1, 1);
            }
        }
    }
    let mut bits = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    let mut left = len - 1;
    while left >= 3 {
        let run = left.min(258);
        // Length codes 257..=284 cover 3..=257 with extra bits; 285 is 258.
        let (symbol, extra, extra_bits) = length_code(run);
        if symbol < 280 {
            bits.code(symbol - 256, 7);
        } else {
            bits.code(0xc0 + symbol - 280, 8);
        }
        bits.put(extra, extra_bits);
        bits.code(0, 5); // distance code 0: distance 1
        left -= run;
    }
    for _ in 0..left {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    if bits.n > 0 {
        bits.put(0, 8 - bits.n);
    }
    let b = (len % 65521) as u32; // Adler-32 of zeros: a stays 1, b grows by 1 a byte
    let mut out = bits.out;
    out.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    out
}

/// Deflate's length symbol for a match of `len` (3 to 258), its extra bits and their count.
fn length_code(len: usize) -> (u32, u32, u32) {
    const BASE: [usize; 29] =
        [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
    const EXTRA: [u32; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    let i = BASE.iter().rposition(|&base| base <= len).unwrap();
    (257 + i as u32, (len - BASE[i]) as u32, EXTRA[i])
}

#[test]
fn a_zip_bomb_with_a_huge_header_is_refused_unread() {
    // 1 GiB of zeros in under 7 MiB: a 16384 × 16384 RGBA image.
    let data = zeros_zlib(16384 * (16384 * 4 + 1));
    assert!(data.len() < 7 << 20);
    let png = file(&[ihdr(16384, 16384, 8, 6), chunk(b"IDAT", &data), chunk(b"IEND", &[])]);
    let (result, largest) = decode_measured(&png, &Limits::DEFAULT);
    assert!(matches!(result, Err(ImageFileError::TooLarge { width: 16384, height: 16384, .. })));
    assert!(largest < 4096, "allocated {} bytes", largest);
}

#[test]
fn a_zip_bombs_tail_is_never_inflated() {
    // fixtures/bomb_tail.png: 16 × 16 grey whose IDAT inflates to 16 MiB
    // and then holds an invalid block. Decoding stops after the 16th row.
    let png = fixture("bomb_tail.png");
    assert!(png.len() < 20_000);
    let (result, largest) = decode_measured(&png, &Limits::DEFAULT);
    let image = result.unwrap();
    assert_eq!((image.width, image.height), (16, 16));
    assert!(image.pixels.iter().all(|&p| p == 0xff00_0000));
    assert!(largest < 1 << 20, "allocated {} bytes", largest);
}

#[test]
fn too_little_image_data_is_damage() {
    // 4 × 4 grey needs 4 rows of 5 bytes; give 2.
    let png = file(&[ihdr(4, 4, 8, 0), chunk(b"IDAT", &zlib_stored(&[0; 10])), chunk(b"IEND", &[])]);
    let error = decode_png(&png, &Limits::DEFAULT).unwrap_err();
    assert!(matches!(error, ImageFileError::Damaged { .. }), "{:?}", error);
    assert!(error.to_string().starts_with("the PNG is damaged: "), "{}", error);
}

#[test]
fn a_corrupt_deflate_stream_is_damage() {
    let png = file(&[ihdr(4, 4, 8, 0), chunk(b"IDAT", &[0x78, 0x01, 0x07, 0xff, 0xff]), chunk(b"IEND", &[])]);
    let error = decode_png(&png, &Limits::DEFAULT).unwrap_err();
    assert!(error.to_string().starts_with("the PNG is damaged: "), "{}", error);
}

#[test]
fn zero_sized_images() {
    for &(w, h) in &[(0, 5), (5, 0), (0, 0)] {
        let png = file(&[ihdr(w, h, 8, 0), chunk(b"IDAT", &zlib_stored(&[0])), chunk(b"IEND", &[])]);
        let error = decode_png(&png, &Limits::DEFAULT).unwrap_err();
        assert_eq!(error, ImageFileError::NoPixels { width: w, height: h });
    }
    assert_eq!(
        ImageFileError::NoPixels { width: 0, height: 5 }.to_string(),
        "the PNG is damaged: its header says 0 x 5 pixels"
    );
}

#[test]
fn missing_image_data() {
    let png = file(&[ihdr(4, 4, 8, 0), chunk(b"tEXt", b"a\0b"), chunk(b"IEND", &[])]);
    let error = decode_png(&png, &Limits::DEFAULT).unwrap_err();
    assert_eq!(error, ImageFileError::NoImageData);
    assert_eq!(error.to_string(), "the PNG is damaged: it has no image data (IDAT chunk missing)");
}

#[test]
fn an_animation_frame_smaller_than_the_image_is_damage() {
    // A 4 × 4 APNG whose first frame (the default image) claims 4 × 2.
    let actl = chunk(b"acTL", &[0, 0, 0, 1, 0, 0, 0, 0]);
    let mut frame = vec![0, 0, 0, 0]; // sequence number
    for v in [4u32, 2, 0, 0] {
        frame.extend_from_slice(&v.to_be_bytes());
    }
    frame.extend_from_slice(&[0, 1, 0, 10, 0, 0]); // delay 1/10 s, dispose none, blend source
    let png = file(&[ihdr(4, 4, 8, 0), actl, chunk(b"fcTL", &frame), chunk(b"IDAT", &zlib_stored(&[0; 10])), chunk(b"IEND", &[])]);
    let error = decode_png(&png, &Limits::DEFAULT).unwrap_err();
    assert_eq!(error.to_string(), "the PNG is damaged: its image data ends before the image does");
}

#[test]
fn the_header_must_come_first_and_once() {
    let idat = chunk(b"IDAT", &zlib_stored(&[0; 20]));
    let late = file(&[chunk(b"gAMA", &[0, 0, 0, 1]), ihdr(4, 4, 8, 0), idat.clone(), chunk(b"IEND", &[])]);
    assert_eq!(
        decode_png(&late, &Limits::DEFAULT).unwrap_err().to_string(),
        "the PNG is damaged: it starts with a gAMA chunk, not its header (IHDR)"
    );
    let twice = file(&[ihdr(4, 4, 8, 0), ihdr(4, 4, 8, 0), idat, chunk(b"IEND", &[])]);
    assert_eq!(
        decode_png(&twice, &Limits::DEFAULT).unwrap_err().to_string(),
        "the PNG is damaged: it has a second header (IHDR) at byte 33"
    );
    let mut odd = file(&[ihdr(4, 4, 8, 0), chunk(b"IEND", &[])]);
    odd[12] = b'1'; // the type "1HDR"
    assert_eq!(decode_png(&odd, &Limits::DEFAULT).unwrap_err().to_string(), "the PNG is damaged: the chunk at byte 8 has no valid type");
}

#[test]
fn a_chunk_length_past_the_end_is_truncation() {
    let mut png = small_rgb();
    png[33..37].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    assert_eq!(decode_png(&png, &Limits::DEFAULT).unwrap_err(), ImageFileError::Truncated { chunk: Some("IDAT".into()), at: 33 });
    png[33..37].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(decode_png(&png, &Limits::DEFAULT), Err(ImageFileError::Damaged { .. })));
}

/// Recomputes every chunk's CRC, so that a mutation reaches the codec
/// instead of stopping at the checksum check.
fn fix_checksums(png: &mut [u8]) {
    let mut at = 8;
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]) as usize;
        if len > png.len() - at - 12 {
            return;
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&png[at + 4..at + 8 + len]);
        png[at + 8 + len..at + 12 + len].copy_from_slice(&crc.finalize().to_be_bytes());
        at += 12 + len;
    }
}

#[test]
fn mutated_files_never_panic() {
    // Deterministic: xorshift from a fixed seed; every fixture, mutated in 1
    // to 4 bytes (header fields included), checksums fixed.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut outcomes = (0, 0);
    for entry in fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().map_or(true, |e| e != "png") {
            continue;
        }
        let original = fs::read(&path).unwrap();
        for _ in 0..150 {
            let mut png = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = 8 + (next() as usize) % (png.len() - 8);
                png[at] = next() as u8;
            }
            fix_checksums(&mut png);
            let limits = Limits { max_side: 64, max_bytes: 64 << 10 };
            match decode_png(&png, &limits) {
                Ok(image) => {
                    assert_eq!(image.pixels.len(), image.width as usize * image.height as usize);
                    outcomes.0 += 1;
                }
                Err(error) => {
                    assert!(!error.to_string().is_empty());
                    outcomes.1 += 1;
                }
            }
        }
    }
    // Both kinds happen: the mutations reach the codec, not only the checks before it.
    assert!(outcomes.0 > 100 && outcomes.1 > 100, "{:?} decoded, failed", outcomes);
}
