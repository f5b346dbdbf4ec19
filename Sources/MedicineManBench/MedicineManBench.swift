import ArgumentParser

/// `medicineman-bench`: throughput measurements recorded in BENCHMARKS.md.
@main
struct MedicineManBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medicineman-bench",
        abstract: "Measure the platform's building blocks against real services.",
        subcommands: [
            RedisPipelineBenchmark.self, ThroughputBenchmark.self, ScaleBenchmark.self, WorkerCommand.self, AddCommand.self, BackupBenchmark.self, IncrementalBenchmark.self,
            ManifestListingBenchmark.self, HelloServer.self, EventStreamBenchmark.self, RowDecodingBenchmark.self, HistoryPruneBenchmark.self,
        ]
    )
}
