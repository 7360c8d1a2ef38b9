package offline

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
}

func TestRenderNamesFileAndObject(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"missing-secret.yaml", []string{"missing-secret.yaml (document 2)", "Handset hs-lost", "SecretNotFound", "Secret nowhere"}},
		{"typo.yaml", []string{"typo.yaml (document 1)", "DectBase", `unknown field "spec.macAdress"`}},
		{"bad-mac.yaml", []string{"bad-mac.yaml (document 1)", "DectBase badmac", "MAC"}},
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

func latin1(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r))
	}
	return b
}
