#!/usr/bin/env bash
# Deploys Pitstop to the Kubernetes cluster of the current kubectl context:
#   kubectl apply -k deploy/k8s/overlays/<overlay>
# Overlays: dev (NATS, Postgres and MailDev in the cluster), production (a three-node
# NATS JetStream cluster, an external Postgres; fill in its secrets/*.env first),
# canary (dev with customers v1 and v2 behind one Service). See README, "Kubernetes".
set -euo pipefail

usage() { echo "usage: $0 [dev|production|canary]   (default dev)" >&2; exit 2; }

overlay="${1:-dev}"
[[ $# -le 1 ]] || usage
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/deploy/k8s/overlays/$overlay"
[[ "$overlay" != -* && -f "$dir/kustomization.yaml" ]] || usage
command -v kubectl >/dev/null 2>&1 || { echo "$0: kubectl not found on PATH (https://kubernetes.io/docs/tasks/tools/)" >&2; exit 1; }

# The production Secrets come from env files holding placeholders until filled in.
if [[ "$overlay" == production ]] && grep -qs CHANGE_ME "$dir"/secrets/*.env; then
  echo "$0: $dir/secrets/*.env still say CHANGE_ME: put the real DATABASE_URL, SMTP_URL, AUTH_SIGNING_KEY," \
    "PITSTOP_ADMIN_PASSWORD and AUTH_PUBLIC_KEY there first (go run ./cmd/pitstop keys prints a key pair)" >&2
  exit 1
fi

kubectl apply -k "$dir"
echo "Pitstop ($overlay) applied in namespace pitstop; watch it with: kubectl -n pitstop get pods -w"
