#if canImport(Glibc)
    import Glibc
#endif

/// Makes glibc serve every allocation of 128 KiB or more with its own mapping, given back to
/// the system when freed.
///
/// By default glibc raises that threshold each time such a block is freed (up to 32 MiB), after
/// which large frames, requests and composed messages come from its heaps, which keep freed
/// memory: a replica's RSS then stays near the sum of every thread's peak rather than what the
/// request budget holds. Measured with 8 SendMail calls of a 15 MB attachment at once and a
/// 32 MiB budget: peak RSS +413 MiB and 259 MiB held afterwards by default; +242 MiB and 84 MiB
/// with the threshold fixed (BENCHMARKS.md, "Memory at the RPC limits"). Small allocations, the
/// hot path of ordinary calls, are unaffected. `MALLOC_MMAP_THRESHOLD_` in the environment wins.
enum ReturnLargeAllocations {
    static func apply() {
        #if canImport(Glibc)
            guard getenv("MALLOC_MMAP_THRESHOLD_") == nil else { return }
            // `mallopt` and `M_MMAP_THRESHOLD` (-3 in glibc's malloc.h) are not in Swift's Glibc
            // module: looked up at run time, as Tests/MailgateTestSupport does for `pipe2`.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            let mmapThreshold: Int32 = -3
            _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 128 * 1024)
        #endif
    }
}
