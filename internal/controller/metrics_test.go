package controller_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/dect-operator/dect-operator/internal/controller"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// TestMetricsNeedAToken serves the manager's metrics as the manager does, against the
// suite's API server, and scrapes them as three callers: nobody, a ServiceAccount with no
// rights, and one bound to the ClusterRole config/rbac ships for scrapers. Every path of
// the metrics server, /unknown-devices included, is behind the same check.
func TestMetricsNeedAToken(t *testing.T) {
	ns := namespace(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	ports, err := testenv.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	opts := controller.MetricsOptions(fmt.Sprintf("127.0.0.1:%d", ports[0]), false)
	opts.ExtraHandlers = map[string]http.Handler{
		"/unknown-devices": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "[]") }),
	}
	httpClient, err := rest.HTTPClientFor(restCfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := metricsserver.NewServer(opts, restCfg, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Start(ctx) }()

	cs := kubernetes.NewForConfigOrDie(restCfg)
	token := func(sa string) string {
		t.Helper()
		create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sa}})
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("requesting a token for %s: %v", sa, err)
		}
		return tr.Status.Token
	}
	stranger, scraper := token("stranger"), token("prometheus")

	// The shipped ClusterRole, bound to the scraper.
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "metrics_reader_role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(raw, &role); err != nil {
		t.Fatal(err)
	}
	role.Name = ns + "-metrics-reader"
	create(t, &role)
	create(t, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "prometheus"}},
	})

	// The certificate is the server's own, self-signed: scrapers skip its verification
	// (as Prometheus does with insecure_skip_verify) and rely on the token.
	tlsClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // a self-signed test server
	}}
	get := func(path, token string) (int, error) {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d%s", ports[0], path), nil)
		if err != nil {
			return 0, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := tlsClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}

	for _, path := range []string{"/metrics", "/unknown-devices"} {
		for _, c := range []struct {
			who, token string
			want       int
		}{
			{"no token", "", http.StatusUnauthorized},
			// controller-runtime's filter answers 500 to a token the TokenReview cannot
			// parse ("invalid bearer token" is an error to it, not a refusal): refused
			// all the same.
			{"a token that is not one", "forged", http.StatusInternalServerError},
			{"a ServiceAccount without the role", stranger, http.StatusForbidden},
			{"the scraper's ServiceAccount", scraper, http.StatusOK},
		} {
			// The role binding reaches the authorizer's cache within moments; the
			// server may also still be starting.
			testenv.Eventually(t, fmt.Sprintf("GET %s with %s answers %d", path, c.who, c.want), 30*time.Second, func() error {
				code, err := get(path, c.token)
				if err != nil {
					return err
				}
				if code != c.want {
					return fmt.Errorf("got %d", code)
				}
				return nil
			})
		}
	}

	// Plain HTTP on the same port gets no metrics.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[0]))
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP answered 200")
		}
	}
}
