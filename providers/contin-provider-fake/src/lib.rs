//! In-memory fake provider with latency and failure injection for tests and benchmarks
