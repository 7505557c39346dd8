/// Connector names as the kernel, sysfs (`card0-HDMI-A-1`), weston, wlroots
/// and `modetest` spell them: the type's name, a dash, the per-type index
/// ("Virtual-1", "HDMI-A-1", "DP-2", "VGA-1").
///
/// Our own table rather than `drmModeGetConnectorTypeName`, so names do not
/// change with the installed libdrm; a test checks the two agree.
package enum ConnectorName {
    /// Names by `DRM_MODE_CONNECTOR_*` value (drm_mode.h), index = value.
    package static let typeNames: [String] = [
        "Unknown",    // 0  DRM_MODE_CONNECTOR_Unknown
        "VGA",        // 1  DRM_MODE_CONNECTOR_VGA
        "DVI-I",      // 2  DRM_MODE_CONNECTOR_DVII
        "DVI-D",      // 3  DRM_MODE_CONNECTOR_DVID
        "DVI-A",      // 4  DRM_MODE_CONNECTOR_DVIA
        "Composite",  // 5  DRM_MODE_CONNECTOR_Composite
        "SVIDEO",     // 6  DRM_MODE_CONNECTOR_SVIDEO
        "LVDS",       // 7  DRM_MODE_CONNECTOR_LVDS
        "Component",  // 8  DRM_MODE_CONNECTOR_Component
        "DIN",        // 9  DRM_MODE_CONNECTOR_9PinDIN
        "DP",         // 10 DRM_MODE_CONNECTOR_DisplayPort
        "HDMI-A",     // 11 DRM_MODE_CONNECTOR_HDMIA
        "HDMI-B",     // 12 DRM_MODE_CONNECTOR_HDMIB
        "TV",         // 13 DRM_MODE_CONNECTOR_TV
        "eDP",        // 14 DRM_MODE_CONNECTOR_eDP
        "Virtual",    // 15 DRM_MODE_CONNECTOR_VIRTUAL
        "DSI",        // 16 DRM_MODE_CONNECTOR_DSI
        "DPI",        // 17 DRM_MODE_CONNECTOR_DPI
        "Writeback",  // 18 DRM_MODE_CONNECTOR_WRITEBACK
        "SPI",        // 19 DRM_MODE_CONNECTOR_SPI
        "USB",        // 20 DRM_MODE_CONNECTOR_USB
    ]

    /// LVDS, eDP and DSI: panels built into the machine.
    package static let builtInTypes: Set<UInt32> = [7, 14, 16]

    /// The type's name; "Unknown" for a type newer than this table.
    package static func typeName(_ type: UInt32) -> String {
        type < typeNames.count ? typeNames[Int(type)] : "Unknown"
    }

    /// "HDMI-A-1" for type 11, type id 1.
    package static func name(type: UInt32, typeID: UInt32) -> String {
        "\(typeName(type))-\(typeID)"
    }

    /// Whether `request` (what a user typed) names `name`. Case does not
    /// matter: "hdmi-a-1" finds "HDMI-A-1".
    package static func matches(_ request: String, _ name: String) -> Bool {
        request.lowercased() == name.lowercased()
    }
}
