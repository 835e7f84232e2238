#!/usr/bin/env bash
# Removes what scripts/k8s-up.sh deployed:
#   kubectl delete -k deploy/k8s/overlays/<overlay>
# This deletes the pitstop namespace and with it the dev overlay's NATS and Postgres
# volumes (their PersistentVolumeClaims). An external production Postgres is untouched.
set -euo pipefail

usage() { echo "usage: $0 [dev|production|canary]   (default dev)" >&2; exit 2; }

overlay="${1:-dev}"
[[ $# -le 1 ]] || usage
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/deploy/k8s/overlays/$overlay"
[[ "$overlay" != -* && -f "$dir/kustomization.yaml" ]] || usage
command -v kubectl >/dev/null 2>&1 || { echo "$0: kubectl not found on PATH (https://kubernetes.io/docs/tasks/tools/)" >&2; exit 1; }

kubectl delete -k "$dir" --ignore-not-found
