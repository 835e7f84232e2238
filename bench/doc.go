// Package bench holds Pitstop's performance benchmarks (QUALITY.md, Performance):
// relay throughput and latency (BenchmarkRelay) and command throughput
// (BenchmarkRegisterCustomer). The benchmarks live in this package's _test.go files
// and run with `make bench`; README.md explains every figure they print.
package bench
