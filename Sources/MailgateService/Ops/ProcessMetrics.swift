import Foundation

/// The process's own figures in Prometheus's standard names (`process_*`, as every client
/// library exports them), read from `/proc` at each scrape, and `mailgate_build_info`.
enum ProcessMetrics {
    /// Prometheus text for the process now; what `/proc` does not have (not Linux) is left out.
    static func text(version: String) -> String {
        var lines = [
            "# HELP mailgate_build_info The running build: always 1, labelled with its version.",
            "# TYPE mailgate_build_info gauge",
            "mailgate_build_info{version=\"\(version)\"} 1",
        ]
        func add(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)", "\(name) \(Self.format(value))"]
        }
        let stat = Self.stat()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        add(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            stat.map { (Double($0.userTicks + $0.systemTicks)) / ticks }
        )
        add(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            stat.map { Double($0.residentPages) * pageSize }
        )
        add(
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            stat.map { Double($0.virtualBytes) }
        )
        add(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            stat.flatMap { stat in Self.bootTime().map { $0 + Double(stat.startTicks) / ticks } }
        )
        add("process_open_fds", "gauge", "Number of open file descriptors.", Self.openFileDescriptors())
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            add("process_max_fds", "gauge", "Maximum number of open file descriptors.", Double(limit.rlim_cur))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    struct Stat {
        var userTicks: UInt64
        var systemTicks: UInt64
        var startTicks: UInt64
        var virtualBytes: UInt64
        var residentPages: UInt64
    }

    /// `/proc/self/stat`, after the command name (which may hold spaces): fields 14, 15, 22, 23, 24.
    static func stat() -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ").map(String.init)
        // fields[0] is field 3 (state).
        func field(_ number: Int) -> UInt64? { fields.count > number - 3 ? UInt64(fields[number - 3]) : nil }
        guard let user = field(14), let system = field(15), let start = field(22), let virtual = field(23),
            let resident = field(24)
        else { return nil }
        return Stat(
            userTicks: user,
            systemTicks: system,
            startTicks: start,
            virtualBytes: virtual,
            residentPages: resident
        )
    }

    /// When the machine booted, from `btime` in `/proc/stat`.
    static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    static func openFileDescriptors() -> Double? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map { Double($0.count) }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
