// Package bench holds Pitstop's performance benchmarks (QUALITY.md, Performance):
// relay throughput and latency (BenchmarkRelay), command throughput
// (BenchmarkRegisterCustomer), end-to-end latency from registering a customer to the
// workshop knowing it (BenchmarkEndToEnd) and the idle memory of every process, with a
// graceful-shutdown check (BenchmarkIdleMemory). The benchmarks live in this
// package's _test.go files and run with `make bench`; README.md explains every figure
// they print.
package bench
