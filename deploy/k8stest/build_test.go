package k8stest

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// overlays are every directory under deploy/k8s/overlays; TestOverlaysAreAllChecked
// fails when one is added without being listed here.
var overlays = []string{"dev", "production", "canary"}

// namespace is the one namespace of every Pitstop object.
const namespace = "pitstop"

// kinds are the only objects the manifests may hold, each with the k8s.io/api type it
// is decoded into, strictly.
var kinds = map[string]func() any{
	"v1/Namespace":                           func() any { return &corev1.Namespace{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                    func() any { return &appsv1.StatefulSet{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1/Ingress":           func() any { return &networkingv1.Ingress{} },
}

// manifests is one overlay as kustomize builds it, decoded.
type manifests struct {
	overlay      string
	namespaces   []*corev1.Namespace
	configMaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	services     map[string]*corev1.Service
	deployments  []*appsv1.Deployment
	statefulSets []*appsv1.StatefulSet
	pdbs         []*policyv1.PodDisruptionBudget
	hpas         []*autoscalingv2.HorizontalPodAutoscaler
	ingresses    []*networkingv1.Ingress
	// namespaced is every object but the Namespaces, by "Kind/name", with its namespace.
	namespaced map[string]string
}

// workload is a Deployment's or StatefulSet's pod template.
type workload struct {
	kind, name string
	replicas   int32
	selector   map[string]string
	template   corev1.PodTemplateSpec
}

func (m *manifests) workloads() []workload {
	var out []workload
	for _, d := range m.deployments {
		out = append(out, workload{"Deployment", d.Name, replicas(d.Spec.Replicas), d.Spec.Selector.MatchLabels, d.Spec.Template})
	}
	for _, s := range m.statefulSets {
		out = append(out, workload{"StatefulSet", s.Name, replicas(s.Spec.Replicas), s.Spec.Selector.MatchLabels, s.Spec.Template})
	}
	return out
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1 // the API server's default
	}
	return *r
}

var (
	buildMu sync.Mutex
	builds  = map[string]*manifests{}
)

// build runs kustomize on deploy/k8s/overlays/<overlay> (once per test binary) and
// decodes every object strictly: an unknown or misspelt field, a kind or apiVersion
// the manifests do not use, or a second object of the same name fails the test.
func build(t *testing.T, overlay string) *manifests {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if m, ok := builds[overlay]; ok {
		return m
	}
	dir := filepath.Join(repoRoot(t), "deploy", "k8s", "overlays", overlay)
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	m := &manifests{overlay: overlay, configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		services: map[string]*corev1.Service{}, namespaced: map[string]string{}}
	for _, r := range rm.Resources() {
		key := r.GetApiVersion() + "/" + r.GetKind()
		id := r.GetKind() + "/" + r.GetName()
		newObj, ok := kinds[key]
		if !ok {
			t.Fatalf("%s: %s is a %s, which the checks do not know (add its k8s.io/api type to kinds)", overlay, id, key)
		}
		y, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %s: %v", overlay, id, err)
		}
		obj := newObj()
		if err := yaml.UnmarshalStrict(y, obj); err != nil {
			t.Fatalf("%s: %s does not decode strictly into %T: %v", overlay, id, obj, err)
		}
		if _, dup := m.namespaced[id]; dup {
			t.Fatalf("%s: two objects %s", overlay, id)
		}
		switch o := obj.(type) {
		case *corev1.Namespace:
			m.namespaces = append(m.namespaces, o)
			continue
		case *corev1.ConfigMap:
			m.configMaps[o.Name] = o
		case *corev1.Secret:
			m.secrets[o.Name] = o
		case *corev1.Service:
			m.services[o.Name] = o
		case *appsv1.Deployment:
			m.deployments = append(m.deployments, o)
		case *appsv1.StatefulSet:
			m.statefulSets = append(m.statefulSets, o)
		case *policyv1.PodDisruptionBudget:
			m.pdbs = append(m.pdbs, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			m.hpas = append(m.hpas, o)
		case *networkingv1.Ingress:
			m.ingresses = append(m.ingresses, o)
		}
		m.namespaced[id] = r.GetNamespace()
	}
	builds[overlay] = m
	return m
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestOverlaysAreAllChecked: every overlay directory is built by these tests.
func TestOverlaysAreAllChecked(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "deploy", "k8s", "overlays"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if got, want := slices.Sorted(slices.Values(dirs)), slices.Sorted(slices.Values(overlays)); !slices.Equal(got, want) {
		t.Fatalf("deploy/k8s/overlays holds %v, the checks build %v", got, want)
	}
}

// selects reports whether a label selector (matchLabels) selects labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
