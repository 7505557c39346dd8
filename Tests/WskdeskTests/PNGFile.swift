import CPNG
import Foundation

/// A PNG file read with libpng, a decoder independent of the one inside
/// the actors (Rust's `png` crate): what paint saved, as another program
/// would see it.
struct PNGFile {
    let width: Int
    let height: Int
    /// Row after row, `0x00RRGGBB` (alpha dropped).
    let pixels: [UInt32]

    static func read(_ path: String) -> PNGFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, data.count) }
        guard begun != 0 else { return nil }
        image.format = UInt32(PNG_FORMAT_BGRA)
        let (width, height) = (Int(image.width), Int(image.height))
        var pixels = [UInt32](repeating: 0, count: width * height)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        png_image_free(&image)
        guard finished != 0 else { return nil }
        return PNGFile(width: width, height: height, pixels: pixels.map { UInt32(littleEndian: $0) & 0xffffff })
    }
}
