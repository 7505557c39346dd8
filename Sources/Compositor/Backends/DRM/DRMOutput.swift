/// KMS resources and the choice of connector, mode and CRTC, all as plain
/// values: `DRMDevice` reads them from the kernel, the functions here decide,
/// and only then does anything touch the live output.

public enum ConnectionStatus: String, Sendable {
    case connected, disconnected, unknown
}

/// One connector as the kernel reported it.
package struct ConnectorState: Hashable, Sendable {
    package let id: UInt32
    package let name: String
    package let status: ConnectionStatus
    /// In the kernel's order (preferred first, then by size).
    package let modes: [DisplayMode]
    /// The encoders that can drive it, in the kernel's order.
    package let encoderIDs: [UInt32]
    /// The encoder driving it now; 0 for none.
    package let currentEncoderID: UInt32
    /// DRM_MODE_CONNECTOR_* (0: unknown).
    package let type: UInt32
    /// The panel's size as the connector reports it; 0 when unknown.
    package let widthMM: Int
    package let heightMM: Int
    /// From its EDID (`EDID.identity`); nil without one.
    package let identity: String?
    /// The id of its "DPMS" property; nil when it has none.
    package let dpmsProperty: UInt32?

    package init(id: UInt32, name: String, status: ConnectionStatus, modes: [DisplayMode],
                 encoderIDs: [UInt32], currentEncoderID: UInt32 = 0, type: UInt32 = 0,
                 widthMM: Int = 0, heightMM: Int = 0, identity: String? = nil, dpmsProperty: UInt32? = nil) {
        self.id = id
        self.name = name
        self.status = status
        self.modes = modes
        self.encoderIDs = encoderIDs
        self.currentEncoderID = currentEncoderID
        self.type = type
        self.widthMM = widthMM
        self.heightMM = heightMM
        self.identity = identity
        self.dpmsProperty = dpmsProperty
    }

    /// eDP, LVDS and DSI panels are part of the machine (a laptop's, a
    /// tablet's): where a touchscreen usually is.
    package var isBuiltIn: Bool { ConnectorName.builtInTypes.contains(type) }

    /// The monitor the layout is decided from: the preferred mode first.
    package var monitor: Monitor {
        Monitor(connector: name, identity: identity,
                modes: modes.filter(\.isPreferred) + modes.filter { !$0.isPreferred },
                widthMM: widthMM, heightMM: heightMM, isBuiltIn: isBuiltIn)
    }

    /// "Virtual-1 (connected), VGA-1 (disconnected)".
    package static func list(_ connectors: [ConnectorState]) -> String {
        connectors.isEmpty ? "none" : connectors.map { "\($0.name) (\($0.status.rawValue))" }.joined(separator: ", ")
    }
}

package struct EncoderState: Hashable, Sendable {
    package let id: UInt32
    /// Bit i set: the i-th CRTC of the resources can take this encoder.
    package let possibleCRTCs: UInt32
    /// The CRTC feeding it now; 0 for none.
    package let currentCRTC: UInt32

    package init(id: UInt32, possibleCRTCs: UInt32, currentCRTC: UInt32 = 0) {
        self.id = id
        self.possibleCRTCs = possibleCRTCs
        self.currentCRTC = currentCRTC
    }
}

/// What a card has: CRTCs in resource order (the order `possibleCRTCs`
/// bits refer to), connectors, encoders.
package struct KMSResources: Hashable, Sendable {
    package let crtcIDs: [UInt32]
    package let connectors: [ConnectorState]
    package let encoders: [EncoderState]

    package init(crtcIDs: [UInt32], connectors: [ConnectorState], encoders: [EncoderState]) {
        self.crtcIDs = crtcIDs
        self.connectors = connectors
        self.encoders = encoders
    }

    package func encoder(_ id: UInt32) -> EncoderState? {
        id == 0 ? nil : encoders.first { $0.id == id }
    }

    /// The CRTC driving `connector` now, if any.
    package func currentCRTC(of connector: ConnectorState) -> UInt32? {
        guard let crtc = encoder(connector.currentEncoderID)?.currentCRTC, crtc != 0 else { return nil }
        return crtc
    }

    /// The connectors `crtc` drives now.
    package func connectors(drivenBy crtc: UInt32) -> [UInt32] {
        connectors.filter { currentCRTC(of: $0) == crtc }.map(\.id)
    }

    /// The connectors to consider when none is named: the connected ones;
    /// if none is, those whose state the driver does not know (libdrm's advice).
    package var usableConnectors: [ConnectorState] {
        let connected = connectors.filter { $0.status == .connected }
        return connected.isEmpty ? connectors.filter { $0.status == .unknown } : connected
    }
}

/// The output to set up: decided, not yet applied.
package struct OutputPlan: Hashable, Sendable {
    package let connectorID: UInt32
    package let connectorName: String
    package let crtcID: UInt32
    /// Index into the connector's modes.
    package let modeIndex: Int
    package let mode: DisplayMode

    package init(connectorID: UInt32, connectorName: String, crtcID: UInt32, modeIndex: Int, mode: DisplayMode) {
        self.connectorID = connectorID
        self.connectorName = connectorName
        self.crtcID = crtcID
        self.modeIndex = modeIndex
        self.mode = mode
    }
}

package enum OutputChoice {
    /// The connector: the one named (any case), else the first usable one.
    package static func connector(in resources: KMSResources, named name: String?, device: String)
        throws(DisplayError) -> ConnectorState
    {
        if let name {
            guard let found = resources.connectors.first(where: { ConnectorName.matches(name, $0.name) }) else {
                throw .noSuchConnector(name, on: device, connectors: resources.connectors)
            }
            guard found.status != .disconnected else { throw .notConnected(found.name, on: device) }
            return found
        }
        guard let first = resources.usableConnectors.first else {
            throw .noConnectedDisplay(device, connectors: resources.connectors)
        }
        return first
    }

    /// A CRTC for a connector whose encoders are `encoders` (in the
    /// connector's order), never one in `excluded` (taken by another output
    /// of ours). First choice: the CRTC already driving it (no modeset
    /// glitch on other outputs); then a CRTC no other encoder uses; then
    /// any the encoders allow.
    package static func crtc(
        crtcIDs: [UInt32], encoders: [EncoderState], currentEncoderID: UInt32,
        busy: Set<UInt32> = [], excluded: Set<UInt32> = []
    ) -> UInt32? {
        if let current = encoders.first(where: { $0.id == currentEncoderID }),
           current.currentCRTC != 0, !excluded.contains(current.currentCRTC),
           let index = crtcIDs.firstIndex(of: current.currentCRTC), index < 32,
           current.possibleCRTCs & (1 << UInt32(index)) != 0 {
            return current.currentCRTC
        }
        for avoidBusy in [true, false] {
            for encoder in encoders {
                for (index, crtc) in crtcIDs.enumerated() where index < 32 {
                    guard encoder.possibleCRTCs & (1 << UInt32(index)) != 0, !excluded.contains(crtc) else { continue }
                    if avoidBusy && busy.contains(crtc) { continue }
                    return crtc
                }
            }
        }
        return nil
    }

    /// Connector, mode and CRTC together, or the error that says why not.
    /// `modeIndex`, when given, is the mode (an index into the connector's
    /// modes) chosen already; `excludedCRTCs` are those our other heads use.
    package static func plan(
        _ resources: KMSResources, connector name: String?, mode request: ModeRequest?,
        device: String, excludedCRTCs: Set<UInt32> = [], modeIndex chosen: Int? = nil
    ) throws(DisplayError) -> OutputPlan {
        let connector = try connector(in: resources, named: name, device: device)
        guard !connector.modes.isEmpty else { throw .noModes(connector.name, on: device) }
        let modeIndex: Int
        if let chosen {
            precondition(connector.modes.indices.contains(chosen), "mode \(chosen) is not one of \(connector.name)'s")
            modeIndex = chosen
        } else if let index = ModeChoice.choose(from: connector.modes, request: request) {
            modeIndex = index
        } else {
            // Only a request can miss: without one any mode will do.
            throw .noSuchMode(request!, connector: connector.name, modes: connector.modes)
        }
        let encoders = connector.encoderIDs.compactMap { resources.encoder($0) }
        let busy = Set(resources.encoders.filter { !connector.encoderIDs.contains($0.id) }.map(\.currentCRTC))
        guard let crtc = crtc(crtcIDs: resources.crtcIDs, encoders: encoders,
                              currentEncoderID: connector.currentEncoderID,
                              busy: busy, excluded: excludedCRTCs)
        else { throw .noCRTC(connector.name, on: device) }
        return OutputPlan(connectorID: connector.id, connectorName: connector.name, crtcID: crtc,
                          modeIndex: modeIndex, mode: connector.modes[modeIndex])
    }
}

/// A connector as `wskdesk outputs` shows it.
public struct OutputInfo: Hashable, Sendable, CustomStringConvertible {
    /// "/dev/dri/card0".
    public let device: String
    /// "Virtual-1", "HDMI-A-1".
    public let name: String
    public let status: ConnectionStatus
    public var connected: Bool { status == .connected }
    public let modes: [DisplayMode]
    /// The CRTC driving it now; nil when it is off.
    public let currentCRTC: UInt32?
    /// Who is plugged in, from its EDID ("GSM 0x5b09 #16843009 LG TV"); nil without one.
    public let identity: String?
    /// The panel's size in millimetres; 0 when unknown.
    public let widthMM: Int
    public let heightMM: Int
    /// eDP, LVDS, DSI: built into the machine.
    public let isBuiltIn: Bool

    public init(device: String, name: String, status: ConnectionStatus, modes: [DisplayMode], currentCRTC: UInt32?,
                identity: String? = nil, widthMM: Int = 0, heightMM: Int = 0, isBuiltIn: Bool = false) {
        self.device = device
        self.name = name
        self.status = status
        self.modes = modes
        self.currentCRTC = currentCRTC
        self.identity = identity
        self.widthMM = widthMM
        self.heightMM = heightMM
        self.isBuiltIn = isBuiltIn
    }

    /// "Virtual-1 connected crtc 35: 1280x800@60 (preferred), 1024x768@60".
    public var description: String {
        let crtc = currentCRTC.map { " crtc \($0)" } ?? ""
        return "\(name) \(status.rawValue)\(crtc): \(ModeChoice.list(modes))"
    }
}
