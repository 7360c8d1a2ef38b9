package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dect-operator/dect-operator/internal/provfile"
)

// TestForgedFilesAreNeverServed is the takeover of issue 11: labelled ConfigMaps and
// Secrets that no DectBase holding the MAC owns (in another namespace, with and without
// the base-created annotation, and in the base's own namespace) are never served; the
// device keeps getting the real file; the server's metric counts the refusals.
func TestForgedFilesAreNeverServed(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev := sc.declareExample(nil)
	dev.fetchUntil("the example's three accounts", settle, dev.hasExample)
	sc.fetchCurrentFile(dev, "office")
	realRes, err := dev.fetch()
	if err != nil {
		t.Fatal(err)
	}
	realETag := realRes.ETag
	if realETag == "" {
		t.Fatal("the server sent no ETag")
	}

	var realCM corev1.ConfigMap
	var realSec corev1.Secret
	if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: provfile.ConfigMapName("office")}, &realCM); err != nil {
		t.Fatal(err)
	}
	if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: provfile.SecretName("office")}, &realSec); err != nil {
		t.Fatal(err)
	}
	before := scrapeRefused(t)

	// The attacker copies the file (as the view role may) and points the device at
	// another SIP server; the Secret is copied too, so that a served forgery would
	// authenticate and apply.
	evil := sc.ns + "-evil"
	sc.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: evil}})
	forge := func(ns, name string, annotate bool, owners []metav1.OwnerReference) *corev1.ConfigMap {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, Labels: realCM.Labels, OwnerReferences: owners,
			Annotations: map[string]string{},
		}, BinaryData: map[string][]byte{}}
		for k, v := range realCM.Annotations {
			cm.Annotations[k] = v
		}
		if annotate {
			cm.Annotations[provfile.AnnotationBaseCreated] = "2000-01-01T00:00:00Z"
		} else {
			delete(cm.Annotations, provfile.AnnotationBaseCreated)
		}
		for k, v := range realCM.BinaryData {
			cm.BinaryData[k] = bytes.ReplaceAll(v, []byte("pbx.example.com"), []byte("evil.example.net"))
		}
		sc.create(cm)
		return cm
	}
	forge(evil, provfile.ConfigMapName("office"), true, nil)                    // no-owner
	forge(evil, provfile.ConfigMapName("desk"), false, nil)                     // no-owner
	forge(evil, provfile.ConfigMapName("lobby"), true, realCM.OwnerReferences)  // owner-missing
	forge(sc.ns, provfile.ConfigMapName("intruder"), false, nil)                // no-owner
	forge(sc.ns, provfile.ConfigMapName("decoy"), true, realCM.OwnerReferences) // name
	sc.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: evil, Name: provfile.SecretName("office"), Labels: realSec.Labels},
		Data: realSec.Data}) // no-owner

	want := map[string]float64{
		"ConfigMap/" + "no-owner": 3, "ConfigMap/" + "owner-missing": 1, "ConfigMap/" + "name": 1, "Secret/" + "no-owner": 1,
	}
	sc.eventually("the server counts the refusals", settle, func() error {
		now := scrapeRefused(t)
		for k, n := range want {
			if got := now[k] - before[k]; got < n {
				return fmt.Errorf("refused %s: %v more, want %v", k, got, n)
			}
		}
		return nil
	})
	after := scrapeRefused(t)
	t.Logf("dect_provisioning_files_refused_total after the forgeries: %v (before: %v)", after, before)

	// For a while the device polls: it is only ever served the real file.
	deadline := time.Now().Add(3 * time.Second)
	fetches := 0
	for time.Now().Before(deadline) {
		res, err := dev.fetch()
		if err != nil {
			t.Fatal(err)
		}
		fetches++
		if !res.NotModified && res.ETag != realETag {
			t.Fatalf("the device was served another file (ETag %q, the real one %q)", res.ETag, realETag)
		}
		if err := dev.hasExample(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%d fetches after the forgeries, each served the real file", fetches)

	// The server logs each refusal once, naming the object and never its content.
	sc.eventually("the server logs the refusal", settle, func() error {
		lines := stack.Server.LogSince(0, func(l string) bool {
			return strings.Contains(l, "refusing a labelled provisioning object") && strings.Contains(l, evil)
		}, 100)
		if len(lines) < 4 {
			return fmt.Errorf("%d refusal lines for %s, want 4", len(lines), evil)
		}
		for _, l := range lines {
			if strings.Contains(l, "evil.example.net") || strings.Contains(l, "pbx.example.com") {
				return fmt.Errorf("a refusal line holds the object's content: %s", l)
			}
		}
		return nil
	})
}

// scrapeRefused reads dect_provisioning_files_refused_total from the server's metrics
// endpoint, by "kind/reason".
func scrapeRefused(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(stack.ServerMetricsURL)
	if err != nil {
		t.Fatalf("scraping the server's metrics: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		l := s.Text()
		rest, ok := strings.CutPrefix(l, "dect_provisioning_files_refused_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		var kind, reason string
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			v = strings.Trim(v, `"`)
			switch k {
			case "kind":
				kind = v
			case "reason":
				reason = v
			}
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", l, err)
		}
		out[kind+"/"+reason] = n
	}
	return out
}
