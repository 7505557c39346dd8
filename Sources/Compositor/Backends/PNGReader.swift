import CPNG

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a PNG file into XRGB8888 pixels through libpng's simplified API
/// (any PNG: palette, grey, 16-bit and alpha are converted; alpha dropped).
public enum PNGReader {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The picture at `path`: row after row, each pixel `0x00RRGGBB`.
    /// Refused, before anything is allocated, past `maxPixels`.
    public static func read(_ path: String, maxPixels: Int = 1 << 26) throws(Failure)
        -> (width: Int, height: Int, pixels: [UInt32])
    {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        // libpng says only "Read Error" for a missing file or one of another kind.
        guard let file = fopen(path, "rb") else {
            throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var signature = [UInt8](repeating: 0, count: 8)
        let read = fread(&signature, 1, 8, file)
        fclose(file)
        guard read == 8, png_sig_cmp(&signature, 0, 8) == 0 else {
            throw Failure(description: "\(path) is not a PNG file (it does not start with PNG's signature)")
        }
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw Failure(description: "cannot read \(path) as a PNG file (damaged or cut short): \(message(of: image))")
        }
        // XRGB8888 little-endian is B, G, R, X in memory: BGRA, alpha then dropped.
        image.format = UInt32(PNG_FORMAT_BGRA)
        let (width, height) = (Int(image.width), Int(image.height))
        guard width * height <= maxPixels else {
            throw Failure(description: "\(path) is \(width)x\(height), more than the \(maxPixels) pixels allowed")
        }
        var pixels = [UInt32](repeating: 0, count: width * height)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard finished != 0 else {
            throw Failure(description: "cannot read \(path) as a PNG file (damaged or cut short): \(message(of: image))")
        }
        for i in pixels.indices { pixels[i] = UInt32(littleEndian: pixels[i]) & 0x00ff_ffff }
        return (width, height, pixels)
    }

    private static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
