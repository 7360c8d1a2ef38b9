package offline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestRenderGigasetExample(t *testing.T) {
	set, err := Load([]string{"testdata/office.yaml"}, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Bases) != 1 || len(set.Handsets) != 3 || len(set.Secrets) != 3 {
		t.Fatalf("loaded %d bases, %d handsets, %d secrets", len(set.Bases), len(set.Handsets), len(set.Secrets))
	}
	files, err := Render(set, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].MAC != "7C2F80CA21E4" || files[0].Namespace != "default" {
		t.Fatalf("files: %+v", files)
	}
	doc := files[0].Document
	for _, want := range []string{
		`<SYMB_ITEM ID="BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_USER_ID[0]" class="symb_item" value='"1013"'/>`,
		`<SYMB_ITEM ID="BS_VOIP_Data.astVoipAccounts[2].aucS_SIP_USER_ID[0]" class="symb_item" value='"1022"'/>`,
		"Jürgen &amp; Co &lt;Sales&gt;",
	} {
		if !bytes.Contains(doc, latin1(want)) {
			t.Errorf("document lacks %s", want)
		}
	}
	if bytes.Contains(doc, []byte("Password")) || !bytes.Contains(files[0].Credentials, []byte("Password")) {
		t.Error("passwords must be in the credentials only")
	}
	if len(files[0].Withheld) != 0 {
		t.Errorf("withheld %v, want nothing: every Secret is in the input", files[0].Withheld)
	}
}

// TestRenderRepositories runs render on what GitOps repositories hold. Each case names
// its inputs ("-" reads the case's stdin file), and what Load and Render must give: the
// slot owners in order, notes and withheld credentials (as printed), or an error.
func TestRenderRepositories(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		stdin string
		// slots lists the first slots' owners ("free" when free), for each file in order.
		slots [][]string
		// notes and withheld must each appear in one line of what render says.
		notes, withheld []string
		// err, when set, are parts of the error; nothing else is checked then.
		err []string
	}{
		{
			name:  "SOPS-encrypted Secrets, handsets applied at once take slots by name",
			paths: []string{"testdata/gitops/sites/berlin"},
			slots: [][]string{{"anna", "bob", "zoe", "free"}},
			notes: []string{"sites/berlin/kustomization.yaml: skipped Kustomization (its namespace, patches and generators are not applied here"},
			withheld: []string{
				`Handset anna: SIP password (Secret sip-1014, key "password") left out: SOPS-encrypted in testdata/gitops/sites/berlin/secrets.sops.yaml (document 2)`,
				`Handset bob: SIP password (Secret sip-1022, key "secret") left out: SOPS-encrypted`,
				`Handset zoe: SIP password (Secret sip-1013, key "password") left out: SOPS-encrypted`,
				`DectBase office: HTTP Digest credentials (Secret office-auth, keys "username" and "password") left out: SOPS-encrypted`,
			},
		},
		{
			name:     "SealedSecret",
			paths:    []string{"testdata/gitops/sites/hamburg"},
			slots:    [][]string{{"hh-2001", "free"}},
			withheld: []string{`Handset hh-2001: SIP password (Secret sip-2001, key "password") left out: a SealedSecret in testdata/gitops/sites/hamburg/sealed.yaml (document 1)`},
		},
		{
			name:     "ExternalSecret",
			paths:    []string{"testdata/cases/external-secret.yaml"},
			slots:    [][]string{{"hs-1013"}},
			withheld: []string{`Handset hs-1013: SIP password (Secret sip-1013, key "password") left out: an ExternalSecret in testdata/cases/external-secret.yaml (document 3)`},
		},
		{
			name:  "no Secrets at all",
			paths: []string{"testdata/cases/no-secrets.yaml"},
			slots: [][]string{{"hs-1013", "free"}},
			withheld: []string{
				`DectBase office: web password (Secret office-web, key "password") left out: no Secret of this name in the input`,
				`Handset hs-1013: SIP password (Secret sip-1013, key "password") left out: no Secret of this name in the input`,
			},
		},
		{
			name:  "Helm chart: template and values skipped, no base",
			paths: []string{"testdata/gitops/charts"},
			notes: []string{
				"testdata/gitops/charts/dect/templates/handsets.yaml: skipped: a template ({{ ... }}), not manifests",
				"testdata/gitops/charts/dect/values.yaml: skipped YAML that is not a Kubernetes object (no apiVersion or kind)",
				"testdata/gitops/charts/dect/Chart.yaml: skipped YAML that is not a Kubernetes object",
			},
		},
		{
			name:  "two sites with one base name",
			paths: []string{"testdata/gitops"},
			err: []string{"testdata/gitops/sites/hamburg/base.yaml (document 1): DectBase default/office is declared a second time",
				"first in testdata/gitops/sites/berlin/base.yaml (document 1)", "kustomize build"},
		},
		{
			name:  "the same file twice",
			paths: []string{"testdata/office.yaml", "testdata/office.yaml"},
			err:   []string{"Handset default/hs-1013 is declared a second time", "Secret default/sip-1013 is declared a second time"},
		},
		{
			name:  "standard input: kustomize build of two sites",
			paths: []string{"-"},
			stdin: "testdata/stdin/kustomize-build.yaml",
			slots: [][]string{{"zoe", "free"}, {"free"}},
		},
		{
			name:  "standard input beside a file",
			paths: []string{"testdata/cases/no-secrets.yaml", "-"},
			stdin: "testdata/stdin/kustomize-build.yaml",
			slots: [][]string{{"hs-1013"}, {"zoe"}, {"free"}},
			withheld: []string{
				`DectBase office: web password (Secret office-web, key "password") left out`,
				`Handset hs-1013: SIP password (Secret sip-1013, key "password") left out`,
			},
		},
		{
			name:  "creationTimestamp in the manifest is kept",
			paths: []string{"testdata/cases/created-one-after-another.yaml"},
			// zoe (09:00:01) before anna (09:00:05); bob, without one, is created at --now,
			// after them.
			slots: [][]string{{"zoe", "anna", "bob", "free"}},
		},
		{
			name:     "a List with status: the status is dropped, as kubectl apply drops it",
			paths:    []string{"testdata/cases/list.yaml"},
			slots:    [][]string{{"hs-1013", "free"}},
			notes:    []string{"testdata/cases/list.yaml: skipped ConfigMap"},
			withheld: []string{`Handset hs-1013: SIP password (Secret sip-1013, key "password") left out: no Secret of this name in the input`},
		},
		{
			name:  "a sealed Secret known to lack the key",
			paths: []string{"testdata/cases/sealed-lacks-key.yaml"},
			err:   []string{"Handset hs-1013: SecretNotFound", `Secret sip-1013 has no key "password"`},
		},
		{
			// The operator uses only Secrets labelled consumable: render refuses the others
			// too, each with where its label goes, in whichever form it is declared.
			name:  "Secrets without the consumable label",
			paths: []string{"testdata/cases/not-consumable.yaml"},
			err: []string{
				"DectBase office: Secret web (testdata/cases/not-consumable.yaml (document 6)) is not labelled provisioning.dect-operator.dev/consumable: \"true\"",
				"Handset plain: SecretNotConsumable: Secret sip-plain (testdata/cases/not-consumable.yaml (document 7)) is not labelled",
				"Handset sops: SecretNotConsumable: Secret sip-sops",
				"add the label to its metadata.labels",
				"Handset sealed: SecretNotConsumable: Secret sip-sealed (testdata/cases/not-consumable.yaml (document 9)) is not labelled provisioning.dect-operator.dev/consumable: \"true\", so the operator will not use it: add the label to its spec.template.metadata.labels",
				"Handset external: SecretNotConsumable: Secret sip-external (testdata/cases/not-consumable.yaml (document 10)) is not labelled provisioning.dect-operator.dev/consumable: \"true\", so the operator will not use it: add the label to its spec.target.template.metadata.labels",
			},
		},
		{
			name:  "a plain Secret lacking the key",
			paths: []string{"testdata/cases/plain-lacks-key.yaml"},
			err:   []string{"plain-lacks-key.yaml (document 2): Handset hs-1013: SecretNotFound"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin := strings.NewReader("")
			if tt.stdin != "" {
				data, err := os.ReadFile(tt.stdin)
				if err != nil {
					t.Fatal(err)
				}
				stdin = strings.NewReader(string(data))
			}
			set, err := LoadFrom(stdin, tt.paths, "default")
			var files []File
			if err == nil {
				files, err = Render(set, now)
			}
			if tt.err != nil {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, w := range tt.err {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var said []string
			for _, n := range set.Notes {
				said = append(said, n.String())
			}
			var withheld []string
			for _, f := range files {
				for _, w := range f.Withheld {
					withheld = append(withheld, w.String())
				}
				if len(f.Withheld) > 0 && f.Credentials != nil {
					t.Errorf("%s/%s: credentials built with placeholders were kept", f.Namespace, f.Base)
				}
				if bytes.Contains(f.Document, []byte(placeholder)) {
					t.Errorf("%s/%s: the document holds the placeholder", f.Namespace, f.Base)
				}
			}
			expectLines(t, "notes", said, tt.notes)
			expectLines(t, "withheld", withheld, tt.withheld)
			if len(withheld) != len(tt.withheld) {
				t.Errorf("withheld %d credentials, want %d: %q", len(withheld), len(tt.withheld), withheld)
			}
			if len(files) != len(tt.slots) {
				t.Fatalf("rendered %d files, want %d", len(files), len(tt.slots))
			}
			for i, f := range files {
				for slot, owner := range tt.slots[i] {
					if want := fmt.Sprintf("<!-- slot %d: %s -->", slot, owner); !bytes.Contains(f.Document, []byte(want)) {
						t.Errorf("%s/%s: document lacks %s", f.Namespace, f.Base, want)
					}
				}
			}
		})
	}
}

// TestWithheldCredentialsLeaveTheDocumentAlone renders the Gigaset example with and
// without its Secrets: the public document is the same bytes.
func TestWithheldCredentialsLeaveTheDocumentAlone(t *testing.T) {
	set, err := Load([]string{"testdata/office.yaml"}, "default")
	if err != nil {
		t.Fatal(err)
	}
	with, err := Render(set, now)
	if err != nil {
		t.Fatal(err)
	}
	set.Secrets = nil
	without, err := Render(set, now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(with[0].Document, without[0].Document) {
		t.Error("the document changes when the Secrets are left out")
	}
	if len(without[0].Withheld) != 3 || without[0].Credentials != nil {
		t.Errorf("withheld %v, credentials %d bytes; want the 3 passwords withheld and no credentials", without[0].Withheld, len(without[0].Credentials))
	}
}

// TestRenderIgnoresReadOrder: the slots do not depend on the order files and documents
// are read in, as the cluster's do not depend on the order of one apply.
func TestRenderIgnoresReadOrder(t *testing.T) {
	set, err := Load([]string{"testdata/office.yaml"}, "default")
	if err != nil {
		t.Fatal(err)
	}
	first, err := Render(set, now)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(set.Handsets)
	second, err := Render(set, now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first[0].Document, second[0].Document) || !bytes.Equal(first[0].Credentials, second[0].Credentials) {
		t.Error("the handsets' read order changed the file")
	}
}

func TestRenderNamesFileAndObject(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"missing-key.yaml", []string{"missing-key.yaml (document 2)", "Handset hs-lost", "SecretNotFound", "Secret nowhere"}},
		{"typo.yaml", []string{"typo.yaml (document 1)", "DectBase", `unknown field "spec.macAdress"`}},
		{"bad-mac.yaml", []string{"bad-mac.yaml (document 1)", "DectBase badmac", "MAC"}},
		{"duplicate-mac.yaml", []string{"duplicate-mac.yaml (document 2)", "DectBase second", "MAC 7C2F80CA21E4 is already declared by DectBase default/first"}},
		{"broken.yaml", []string{"broken.yaml (document 1)"}},
		{"sops-handset.yaml", []string{"sops-handset.yaml (document 1)", "Handset is SOPS-encrypted", "encrypted_regex"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			set, err := Load([]string{filepath.Join("testdata", "bad", tt.file)}, "default")
			if err == nil {
				_, err = Render(set, time.Now())
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadWalksFolders(t *testing.T) {
	set, err := Load([]string{"testdata"}, "ns")
	if err == nil {
		t.Fatal("the bad examples in testdata/bad were accepted")
	}
	if len(set.Bases) < 2 || set.Bases[0].Namespace != "ns" {
		t.Errorf("bases %d, first namespace %q", len(set.Bases), set.Bases[0].Namespace)
	}
}

// expectLines checks that each of want is part of one of the lines got.
func expectLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("%s lack %q; got:\n%s", what, w, strings.Join(got, "\n"))
		}
	}
}

func latin1(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r))
	}
	return b
}
