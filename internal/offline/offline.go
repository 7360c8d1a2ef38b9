// Package offline renders provisioning files from YAML manifests with no cluster, exactly
// as the operator would for the same objects, so that a CI pipeline can validate a pull
// request and show the rendered diff before anything is applied.
package offline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/scheme"
)

// Origin says where an object was read: file and position in it, for error messages.
type Origin struct {
	File  string
	Index int // 1-based document number in the file
}

func (o Origin) String() string { return fmt.Sprintf("%s (document %d)", o.File, o.Index) }

// Set is everything read from the manifests. Objects keep the order they were read in:
// that order stands in for their age, which decides slots among new handsets.
type Set struct {
	Bases    []dectv1alpha1.DectBase
	Handsets []dectv1alpha1.Handset
	Secrets  []corev1.Secret
	// ServerURL is the operator's --server-url, where firmware files are served.
	ServerURL string
	origins   map[string]Origin // kind/namespace/name
}

func key(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// Load reads YAML or JSON manifests from files and folders (recursively: *.yaml, *.yml,
// *.json). Kinds other than DectBase, Handset and Secret are skipped; an object that does
// not decode is an error naming its file.
func Load(paths []string, namespace string) (*Set, error) {
	decoder := serializer.NewCodecFactory(scheme.New(), serializer.EnableStrict).UniversalDeserializer()
	set := &Set{origins: map[string]Origin{}}
	var errs []error
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || (path != root && !isManifest(path)) {
				return nil
			}
			errs = append(errs, set.loadFile(path, namespace, decoder)...)
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return set, errors.Join(errs...)
}

func isManifest(path string) bool {
	switch filepath.Ext(path) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (s *Set) loadFile(path, namespace string, decoder runtime.Decoder) []error {
	data, err := os.ReadFile(path)
	if err != nil {
		return []error{err}
	}
	var errs []error
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for index := 1; ; index++ {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		origin := Origin{File: path, Index: index}
		if err != nil {
			return append(errs, fmt.Errorf("%s: %w", origin, err))
		}
		if len(bytes.TrimSpace(doc)) == 0 || isOnlyComments(doc) {
			continue
		}
		var meta metav1.TypeMeta
		if err := utilyaml.Unmarshal(doc, &meta); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", origin, err))
			continue
		}
		switch {
		case meta.APIVersion == dectv1alpha1.GroupVersion.String() && meta.Kind == "DectBase",
			meta.APIVersion == dectv1alpha1.GroupVersion.String() && meta.Kind == "Handset",
			meta.APIVersion == "v1" && meta.Kind == "Secret":
		default:
			continue
		}
		obj, _, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", origin, meta.Kind, err))
			continue
		}
		switch o := obj.(type) {
		case *dectv1alpha1.DectBase:
			o.Namespace = pick(o.Namespace, namespace)
			s.Bases = append(s.Bases, *o)
			s.origins[key("DectBase", o.Namespace, o.Name)] = origin
		case *dectv1alpha1.Handset:
			o.Namespace = pick(o.Namespace, namespace)
			s.Handsets = append(s.Handsets, *o)
			s.origins[key("Handset", o.Namespace, o.Name)] = origin
		case *corev1.Secret:
			o.Namespace = pick(o.Namespace, namespace)
			// The API server folds stringData into data; so does this.
			if o.Data == nil {
				o.Data = map[string][]byte{}
			}
			for k, v := range o.StringData {
				o.Data[k] = []byte(v)
			}
			s.Secrets = append(s.Secrets, *o)
		}
	}
	return errs
}

// File is one base's rendered file.
type File struct {
	Namespace, Base, MAC string
	// Document is exactly what the operator writes into the base's ConfigMap.
	Document []byte
	// Credentials is what it writes into the base's Secret, under the same key.
	Credentials []byte
}

// Render renders every base of the set at the instant now, as the operator would for
// new objects created in the order they were read. With the same now, the same objects
// give the same bytes (a registration window of mode OnChange or Scheduled depends on
// it). Every problem the operator would report in status is an error here, naming the
// file and object.
func Render(s *Set, now time.Time) ([]File, error) {
	var files []File
	var errs []error
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for bi := range s.Bases {
		base := &s.Bases[bi]
		where := s.origins[key("DectBase", base.Namespace, base.Name)]
		var handsets []dectv1alpha1.Handset
		for i, h := range s.Handsets {
			if h.Namespace == base.Namespace && h.Spec.BaseRef.Name == base.Name {
				h.CreationTimestamp = metav1.NewTime(epoch.Add(time.Duration(i) * time.Second))
				handsets = append(handsets, h)
			}
		}
		secrets := assemble.Secrets{}
		for _, sec := range s.Secrets {
			if sec.Namespace == base.Namespace {
				secrets[sec.Name] = sec.Data
			}
		}
		mac, err := gigaset.ParseMAC(base.Spec.MACAddress)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: DectBase %s: %w", where, base.Name, err))
			continue
		}
		res, err := assemble.Build(assemble.Input{Base: base, MAC: mac, Handsets: handsets, Secrets: secrets, Now: now, ServerURL: s.ServerURL})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: DectBase %s: %w", where, base.Name, err))
			continue
		}
		if res.BaseProblem != nil {
			errs = append(errs, fmt.Errorf("%s: DectBase %s: %s", where, base.Name, res.BaseProblem.Message))
		}
		for _, name := range slices.Sorted(maps.Keys(res.Handsets)) {
			if p := res.Handsets[name].Problem; p != nil {
				errs = append(errs, fmt.Errorf("%s: Handset %s: %s: %s", s.origins[key("Handset", base.Namespace, name)], name, p.Reason, p.Message))
			}
		}
		files = append(files, File{Namespace: base.Namespace, Base: base.Name, MAC: mac,
			Document: res.File.Document, Credentials: res.File.Credentials})
	}
	return files, errors.Join(errs...)
}

// Write stores each file as <dir>/<namespace>/<base>/<MAC>.xml (the ConfigMap's key).
func Write(dir string, files []File) error {
	for _, f := range files {
		path := filepath.Join(dir, f.Namespace, f.Base, provfile.FileKey(f.MAC))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Document, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func pick(a, b string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return "default"
}

func isOnlyComments(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}
