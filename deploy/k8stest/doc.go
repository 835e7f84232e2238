// Package k8stest checks the Kubernetes manifests (deploy/k8s) against the code, since
// no cluster runs in the tests: it builds every overlay with the kustomize Go API,
// decodes every object strictly into the k8s.io/api types (an unknown field fails),
// and compares each Pitstop container with its binary: the port and probes its
// descriptor (app.Context) gives, the environment variables its configuration structs
// read (their env tags, by reflection and from the webapp's main), every binary the
// Dockerfile builds, the relays' replicas, pinned images, the Secrets and ConfigMaps
// referenced, the securityContext and, in production, the PITSTOP stream's three
// replicas on a three-node NATS cluster. It has tests only.
package k8stest
