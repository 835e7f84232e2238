// Package deploytest checks the container deployment against the code and SYSTEM.md:
// docker-compose.yml (loaded with the Compose project's own loader), the Dockerfile's
// targets and packages, deploy/prometheus/prometheus.yml (promtool check config), every
// process's /metrics (promtool check metrics, from the whole system started in-process)
// and docs/grafana-dashboard.json (every PromQL metric name exists). It has tests only.
package deploytest
