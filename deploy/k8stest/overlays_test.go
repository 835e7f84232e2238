package k8stest

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestOverlays builds every overlay and checks it against the code and the rules of
// deploy/k8s (see the subtests' names).
func TestOverlays(t *testing.T) {
	t.Parallel()
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			t.Parallel()
			m := build(t, overlay)
			bins := binaries(t)
			t.Run("one namespace", func(t *testing.T) { checkNamespace(t, m) })
			t.Run("containers are their binaries", func(t *testing.T) { checkBinaries(t, m, bins) })
			t.Run("every Dockerfile binary runs", func(t *testing.T) { checkEveryBinaryRuns(t, m, bins) })
			t.Run("images pinned", func(t *testing.T) { checkImages(t, m) })
			t.Run("securityContext", func(t *testing.T) { checkSecurity(t, m) })
			t.Run("references exist", func(t *testing.T) { checkReferences(t, m) })
			t.Run("APIs scale", func(t *testing.T) { checkAPIs(t, m, bins) })
			t.Run("relays have a standby", func(t *testing.T) { checkRelays(t, m, bins) })
			t.Run("NATS stream replicas", func(t *testing.T) { checkStream(t, m, bins) })
			t.Run("ingress", func(t *testing.T) { checkIngress(t, m) })
		})
	}
}

func checkNamespace(t *testing.T, m *manifests) {
	if len(m.namespaces) != 1 || m.namespaces[0].Name != namespace {
		t.Errorf("namespaces %v, want exactly %s", m.namespaces, namespace)
	}
	for _, id := range slices.Sorted(maps.Keys(m.namespaced)) {
		if ns := m.namespaced[id]; ns != namespace {
			t.Errorf("%s is in namespace %q, want %s", id, ns, namespace)
		}
	}
}

// pitstopContainers returns the containers that run a Pitstop image, with their binary
// name (pitstop/<binary>:<tag>).
type pitstopContainer struct {
	w      workload
	c      corev1.Container
	binary string
}

func (m *manifests) pitstopContainers() []pitstopContainer {
	var out []pitstopContainer
	for _, w := range m.workloads() {
		for _, c := range allContainers(w.template.Spec) {
			if repo, _, _ := strings.Cut(c.Image, ":"); strings.HasPrefix(repo, "pitstop/") {
				out = append(out, pitstopContainer{w, c, strings.TrimPrefix(repo, "pitstop/")})
			}
		}
	}
	return out
}

func allContainers(s corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(s.InitContainers), s.Containers...)
}

// env resolves a container's environment: its env entries and every key of the
// ConfigMaps and Secrets of its envFrom, to their values. A reference to an object or
// key that does not exist is an error (unless marked optional).
func (m *manifests) env(c corev1.Container) (map[string]string, []string) {
	out := map[string]string{}
	var errs []string
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, ok := m.configMaps[ef.ConfigMapRef.Name]
			if !ok {
				errs = append(errs, "envFrom ConfigMap "+ef.ConfigMapRef.Name+" does not exist")
				continue
			}
			for k, v := range cm.Data {
				out[ef.Prefix+k] = v
			}
		case ef.SecretRef != nil:
			s, ok := m.secrets[ef.SecretRef.Name]
			if !ok {
				errs = append(errs, "envFrom Secret "+ef.SecretRef.Name+" does not exist")
				continue
			}
			for k, v := range s.Data {
				out[ef.Prefix+k] = string(v)
			}
			for k, v := range s.StringData {
				out[ef.Prefix+k] = v
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			out[e.Name] = e.Value
			continue
		}
		switch vf := e.ValueFrom; {
		case vf.ConfigMapKeyRef != nil:
			cm, ok := m.configMaps[vf.ConfigMapKeyRef.Name]
			v, has := "", false
			if ok {
				v, has = cm.Data[vf.ConfigMapKeyRef.Key]
			}
			if !has {
				errs = append(errs, fmt.Sprintf("env %s: ConfigMap %s key %s does not exist", e.Name, vf.ConfigMapKeyRef.Name, vf.ConfigMapKeyRef.Key))
			}
			out[e.Name] = v
		case vf.SecretKeyRef != nil:
			s, ok := m.secrets[vf.SecretKeyRef.Name]
			var v []byte
			has := false
			if ok {
				v, has = s.Data[vf.SecretKeyRef.Key]
			}
			if !has {
				errs = append(errs, fmt.Sprintf("env %s: Secret %s key %s does not exist", e.Name, vf.SecretKeyRef.Name, vf.SecretKeyRef.Key))
			}
			out[e.Name] = string(v)
		default:
			out[e.Name] = "" // fieldRef, resourceFieldRef: set by the kubelet
		}
	}
	return out, errs
}

// portOf resolves a probe's or Service's port (a number or a container port's name).
func portOf(p intstr.IntOrString, c corev1.Container) int {
	if p.Type == intstr.Int {
		return p.IntValue()
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort)
		}
	}
	return -1
}

func checkBinaries(t *testing.T, m *manifests, bins map[string]*binary) {
	pcs := m.pitstopContainers()
	if len(pcs) == 0 {
		t.Fatal("no container runs a pitstop/ image")
	}
	for _, pc := range pcs {
		who := fmt.Sprintf("%s %s container %s (%s)", pc.w.kind, pc.w.name, pc.c.Name, pc.c.Image)
		b, ok := bins[pc.binary]
		if !ok {
			t.Errorf("%s: pitstop/%s is no workload binary of the Dockerfile", who, pc.binary)
			continue
		}
		// Ports: exactly the one the binary serves.
		if len(pc.c.Ports) != 1 || int(pc.c.Ports[0].ContainerPort) != b.port ||
			(pc.c.Ports[0].Protocol != "" && pc.c.Ports[0].Protocol != corev1.ProtocolTCP) {
			t.Errorf("%s: ports %+v, want exactly TCP %d (its descriptor's)", who, pc.c.Ports, b.port)
		}
		// Probes: liveness /healthz, readiness /readyz, a startup probe (if any) /healthz,
		// all on that port.
		probe := func(kind string, p *corev1.Probe, path string, required bool) {
			if p == nil {
				if required {
					t.Errorf("%s: no %s probe", who, kind)
				}
				return
			}
			if p.HTTPGet == nil || p.HTTPGet.Path != path || portOf(p.HTTPGet.Port, pc.c) != b.port {
				t.Errorf("%s: %s probe %+v, want GET %s on %d", who, kind, p.ProbeHandler, path, b.port)
			}
		}
		probe("liveness", pc.c.LivenessProbe, "/healthz", true)
		probe("readiness", pc.c.ReadinessProbe, "/readyz", true)
		probe("startup", pc.c.StartupProbe, "/healthz", false)
		// Environment: exactly the variables the binary reads.
		env, errs := m.env(pc.c)
		for _, e := range errs {
			t.Errorf("%s: %s", who, e)
		}
		for _, name := range slices.Sorted(maps.Keys(b.env)) {
			if _, ok := env[name]; !ok {
				t.Errorf("%s: %s, which %s reads, is not set", who, name, b.name)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(env)) {
			if !b.env[name] {
				t.Errorf("%s: %s is set but %s does not read it", who, name, b.name)
			}
		}
		if got, want := env["HTTP_ADDR"], ":"+strconv.Itoa(b.port); got != want {
			t.Errorf("%s: HTTP_ADDR=%q, want %q", who, got, want)
		}
		// Metrics: scraped on the same port.
		a := pc.w.template.Annotations
		if a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != strconv.Itoa(b.port) || a["prometheus.io/path"] != "/metrics" {
			t.Errorf("%s: scrape annotations %v, want scrape true, port %d, path /metrics", who, a, b.port)
		}
		r := pc.c.Resources
		if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %+v, want CPU and memory requests and a memory limit", who, r)
		}
	}
}

func checkEveryBinaryRuns(t *testing.T, m *manifests, bins map[string]*binary) {
	run := map[string]bool{}
	for _, pc := range m.pitstopContainers() {
		run[pc.binary] = true
	}
	for _, name := range slices.Sorted(maps.Keys(bins)) {
		if !run[name] {
			t.Errorf("the Dockerfile builds %s but no workload runs pitstop/%s", name, name)
		}
	}
}

func checkImages(t *testing.T, m *manifests) {
	for _, w := range m.workloads() {
		for _, c := range allContainers(w.template.Spec) {
			ref := c.Image
			if at := strings.Index(ref, "@"); at >= 0 {
				ref = ref[:at]
			}
			tag := ""
			if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
				tag = ref[i+1:]
			}
			if tag == "" || tag == "latest" {
				t.Errorf("%s %s container %s: image %q, want one pinned by a tag other than latest", w.kind, w.name, c.Name, c.Image)
			}
			if c.ImagePullPolicy == corev1.PullAlways {
				t.Errorf("%s %s container %s: imagePullPolicy Always (a pinned tag needs no pull every start)", w.kind, w.name, c.Name)
			}
		}
	}
}

func checkSecurity(t *testing.T, m *manifests) {
	for _, w := range m.workloads() {
		pod := w.template.Spec.SecurityContext
		podNonRoot := pod != nil && pod.RunAsNonRoot != nil && *pod.RunAsNonRoot
		if pod != nil && pod.RunAsUser != nil && *pod.RunAsUser == 0 {
			t.Errorf("%s %s runs as user 0", w.kind, w.name)
		}
		for _, c := range allContainers(w.template.Spec) {
			who := fmt.Sprintf("%s %s container %s", w.kind, w.name, c.Name)
			sc := c.SecurityContext
			if sc == nil {
				t.Errorf("%s: no securityContext", who)
				continue
			}
			if nonRoot := sc.RunAsNonRoot != nil && *sc.RunAsNonRoot; !nonRoot && !podNonRoot {
				t.Errorf("%s: runAsNonRoot not true (container or pod)", who)
			}
			if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
				t.Errorf("%s: runs as user 0", who)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: readOnlyRootFilesystem not true", who)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation not false", who)
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s: privileged", who)
			}
			if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: capabilities %+v, want drop [ALL] and nothing added", who, sc.Capabilities)
			}
		}
	}
}

func checkReferences(t *testing.T, m *manifests) {
	for _, w := range m.workloads() {
		for _, c := range allContainers(w.template.Spec) {
			_, errs := m.env(c)
			for _, e := range errs {
				t.Errorf("%s %s container %s: %s", w.kind, w.name, c.Name, e)
			}
			mounted := map[string]bool{}
			for _, vm := range c.VolumeMounts {
				mounted[vm.Name] = true
			}
			volumes := map[string]bool{}
			for _, v := range w.template.Spec.Volumes {
				volumes[v.Name] = true
			}
			if w.kind == "StatefulSet" {
				for _, s := range m.statefulSets {
					if s.Name == w.name {
						for _, pvc := range s.Spec.VolumeClaimTemplates {
							volumes[pvc.Name] = true
						}
					}
				}
			}
			for name := range mounted {
				if !volumes[name] {
					t.Errorf("%s %s container %s mounts volume %s, which the pod does not have", w.kind, w.name, c.Name, name)
				}
			}
		}
		for _, v := range w.template.Spec.Volumes {
			if v.ConfigMap != nil {
				if _, ok := m.configMaps[v.ConfigMap.Name]; !ok {
					t.Errorf("%s %s volume %s: ConfigMap %s does not exist", w.kind, w.name, v.Name, v.ConfigMap.Name)
				}
			}
			if v.Secret != nil {
				if _, ok := m.secrets[v.Secret.SecretName]; !ok {
					t.Errorf("%s %s volume %s: Secret %s does not exist", w.kind, w.name, v.Name, v.Secret.SecretName)
				}
			}
		}
		for _, s := range w.template.Spec.ImagePullSecrets {
			if _, ok := m.secrets[s.Name]; !ok {
				t.Errorf("%s %s: imagePullSecret %s does not exist", w.kind, w.name, s.Name)
			}
		}
	}
}

// checkAPIs: every API (and the webapp) runs at least two replicas with a rolling
// update, behind a Service on its port, with a PodDisruptionBudget and a
// HorizontalPodAutoscaler on CPU.
func checkAPIs(t *testing.T, m *manifests, bins map[string]*binary) {
	for _, d := range m.deployments {
		b := binaryOf(d, bins)
		if b == nil || b.relay {
			continue
		}
		if replicas(d.Spec.Replicas) < 2 && !isCanary(d) {
			t.Errorf("Deployment %s: %d replicas, want at least 2", d.Name, replicas(d.Spec.Replicas))
		}
		if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
			t.Errorf("Deployment %s: strategy %q, want RollingUpdate", d.Name, d.Spec.Strategy.Type)
		}
		labels := d.Spec.Template.Labels
		if !selects(d.Spec.Selector.MatchLabels, labels) {
			t.Errorf("Deployment %s: its selector does not select its pods", d.Name)
		}
		var svc []string
		for _, s := range m.services {
			if !selects(s.Spec.Selector, labels) {
				continue
			}
			svc = append(svc, s.Name)
			for _, p := range s.Spec.Ports {
				if int(p.Port) != b.port || portOf(p.TargetPort, d.Spec.Template.Spec.Containers[0]) != b.port {
					t.Errorf("Service %s: port %d -> %s, want %d -> the container's %d", s.Name, p.Port, p.TargetPort.String(), b.port, b.port)
				}
			}
		}
		if len(svc) != 1 {
			t.Errorf("Deployment %s is selected by Services %v, want exactly one", d.Name, svc)
		}
		pdbs := 0
		for _, p := range m.pdbs {
			if p.Spec.Selector != nil && selects(p.Spec.Selector.MatchLabels, labels) {
				pdbs++
			}
		}
		if pdbs != 1 {
			t.Errorf("Deployment %s is covered by %d PodDisruptionBudgets, want 1", d.Name, pdbs)
		}
		if isCanary(d) {
			continue
		}
		hpa := false
		for _, h := range m.hpas {
			ref := h.Spec.ScaleTargetRef
			if ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
				continue
			}
			hpa = true
			if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
				t.Errorf("HorizontalPodAutoscaler %s: replicas %v..%d, want at least 2", h.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
			}
			cpu := false
			for _, mt := range h.Spec.Metrics {
				cpu = cpu || (mt.Resource != nil && mt.Resource.Name == corev1.ResourceCPU)
			}
			if !cpu {
				t.Errorf("HorizontalPodAutoscaler %s scales on no CPU metric", h.Name)
			}
		}
		if !hpa {
			t.Errorf("Deployment %s has no HorizontalPodAutoscaler", d.Name)
		}
	}
}

// isCanary reports whether d is a second version of an API beside its main
// Deployment (app.kubernetes.io/name differs from the Deployment's name).
func isCanary(d *appsv1.Deployment) bool {
	return d.Spec.Template.Labels["app.kubernetes.io/name"] != d.Name
}

func binaryOf(d *appsv1.Deployment, bins map[string]*binary) *binary {
	for _, c := range d.Spec.Template.Spec.Containers {
		repo, _, _ := strings.Cut(c.Image, ":")
		if b, ok := bins[strings.TrimPrefix(repo, "pitstop/")]; ok && strings.HasPrefix(repo, "pitstop/") {
			return b
		}
	}
	return nil
}

// checkRelays: every context that publishes has its relay, with a leader and a standby
// (they elect the leader through Postgres, so a second replica only waits).
func checkRelays(t *testing.T, m *manifests, bins map[string]*binary) {
	seen := map[string]bool{}
	for _, d := range m.deployments {
		b := binaryOf(d, bins)
		if b == nil || !b.relay {
			continue
		}
		seen[b.name] = true
		if n := replicas(d.Spec.Replicas); n < 2 {
			t.Errorf("relay Deployment %s: %d replicas, want at least 2 (leader and standby)", d.Name, n)
		}
		for _, h := range m.hpas {
			if h.Spec.ScaleTargetRef.Name == d.Name {
				t.Errorf("relay Deployment %s is autoscaled by %s (only the leader works)", d.Name, h.Name)
			}
		}
	}
	for name, b := range bins {
		if b.relay && !seen[name] {
			t.Errorf("no Deployment runs the relay %s", name)
		}
	}
}

// checkStream: every process declares the PITSTOP stream with the same replica count,
// which the NATS StatefulSet can hold; in production that is 3 on a three-node cluster
// whose every node NATS_URL lists and the routes join.
func checkStream(t *testing.T, m *manifests, bins map[string]*binary) {
	var nats *appsv1.StatefulSet
	for _, s := range m.statefulSets {
		if s.Name == "nats" {
			nats = s
		}
	}
	if nats == nil {
		t.Fatal("no nats StatefulSet")
	}
	nodes := int(replicas(nats.Spec.Replicas))
	streamReplicas, urls := map[string]bool{}, map[string]bool{}
	for _, pc := range m.pitstopContainers() {
		env, _ := m.env(pc.c)
		if b := bins[pc.binary]; b != nil && b.env["NATS_STREAM_REPLICAS"] {
			streamReplicas[env["NATS_STREAM_REPLICAS"]] = true
		}
		urls[env["NATS_URL"]] = true
	}
	if len(streamReplicas) != 1 || len(urls) != 1 {
		t.Fatalf("NATS_STREAM_REPLICAS %v, NATS_URL %v: want one value each for every process", streamReplicas, urls)
	}
	var r int
	for v := range streamReplicas {
		var err error
		if r, err = strconv.Atoi(v); err != nil || r < 1 || r > nodes {
			t.Errorf("NATS_STREAM_REPLICAS=%q, want 1..%d (the nats StatefulSet's replicas)", v, nodes)
		}
	}
	var natsURL string
	for u := range urls {
		natsURL = u
	}
	hosts := map[string]bool{}
	for _, u := range strings.Split(natsURL, ",") {
		pu, err := url.Parse(strings.TrimSpace(u))
		if err != nil || pu.Scheme != "nats" || pu.Port() != "4222" {
			t.Errorf("NATS_URL entry %q: want nats://<host>:4222", u)
			continue
		}
		hosts[pu.Hostname()] = true
	}
	if m.overlay != "production" {
		return
	}
	if r != 3 || nodes != 3 {
		t.Errorf("production: NATS_STREAM_REPLICAS=%d on %d NATS nodes, want the stream at 3 replicas on 3 nodes", r, nodes)
	}
	cfg := ""
	for _, cm := range m.configMaps {
		if c, ok := cm.Data["nats.conf"]; ok {
			cfg = c
		}
	}
	for i := range nodes {
		host := fmt.Sprintf("%s-%d.%s", nats.Name, i, nats.Spec.ServiceName)
		if !hosts[host] {
			t.Errorf("production: NATS_URL %q does not list %s", natsURL, host)
		}
		if !strings.Contains(cfg, "nats://"+host+":6222") {
			t.Errorf("production: the NATS cluster routes do not join %s:6222", host)
		}
	}
	if len(hosts) != nodes {
		t.Errorf("production: NATS_URL lists %d hosts, want the %d nodes", len(hosts), nodes)
	}
	if svc, ok := m.services[nats.Spec.ServiceName]; !ok || svc.Spec.ClusterIP != corev1.ClusterIPNone || !svc.Spec.PublishNotReadyAddresses {
		t.Errorf("production: the NATS StatefulSet's service %s is not a headless Service publishing not-ready addresses", nats.Spec.ServiceName)
	}
	if !strings.Contains(cfg, "jetstream") || !strings.Contains(cfg, "cluster") {
		t.Error("production: nats.conf has no jetstream or cluster block")
	}
}

func checkIngress(t *testing.T, m *manifests) {
	if len(m.ingresses) == 0 {
		t.Fatal("no Ingress")
	}
	for _, ing := range m.ingresses {
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				svc, ok := m.services[p.Backend.Service.Name]
				if !ok {
					t.Errorf("Ingress %s: backend Service %s does not exist", ing.Name, p.Backend.Service.Name)
					continue
				}
				found := false
				for _, sp := range svc.Spec.Ports {
					found = found || sp.Name == p.Backend.Service.Port.Name && sp.Name != "" || sp.Port == p.Backend.Service.Port.Number && sp.Port != 0
				}
				if !found {
					t.Errorf("Ingress %s: Service %s has no port %+v", ing.Name, svc.Name, p.Backend.Service.Port)
				}
			}
		}
	}
}
