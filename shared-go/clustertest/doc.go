// Package clustertest proves Pitstop's delivery guarantees on a three-node NATS
// JetStream cluster (in-process, loopback ports) with the PITSTOP stream at three
// replicas: outbox relays and durable consumers under load, the stream's leader node
// killed mid-flow, and two replicas of each consumer sharing one durable consumer. It
// has tests only.
package clustertest
