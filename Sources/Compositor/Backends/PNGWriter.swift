import CPNG

/// Writes XRGB8888 pixels to a PNG file through libpng's simplified API.
public enum PNGWriter {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `pixels` holds `height` rows of `stride` bytes, each pixel 0x00RRGGBB little-endian.
    public static func write(
        _ pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int, to path: String
    ) throws(Failure) {
        precondition(width > 0 && height > 0 && stride >= width * 4 && pixels.count >= stride * height)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        // XRGB8888 little-endian is B, G, R, X in memory; X is undefined, so
        // write a copy with the alpha byte opaque.
        image.format = UInt32(PNG_FORMAT_BGRA)
        var opaque = [UInt32](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let pixel = pixels.load(fromByteOffset: y * stride + x * 4, as: UInt32.self)
                opaque[y * width + x] = pixel | 0xff00_0000
            }
        }
        let ok = opaque.withUnsafeBytes { rows in
            png_image_write_to_file(&image, path, 0, rows.baseAddress, Int32(width * 4), nil)
        }
        defer { png_image_free(&image) }
        guard ok != 0 else {
            let message = withUnsafeBytes(of: image.message) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw Failure(description: "cannot write \(path): \(message)")
        }
    }
}
