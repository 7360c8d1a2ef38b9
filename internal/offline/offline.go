// Package offline renders provisioning files from YAML manifests with no cluster, exactly
// as the operator would for the same objects, so that a CI pipeline can validate a pull
// request and show the rendered diff before anything is applied.
//
// It reads what GitOps repositories hold: besides plain DectBases, Handsets and Secrets,
// SOPS-encrypted Secrets, SealedSecrets and ExternalSecrets (whose values it cannot
// read: the public document is rendered without them and a note says which credentials
// were left out), Helm templates and any other YAML (skipped with a note), and objects
// from standard input.
package offline

import (
	"bufio"
	"bytes"
	"cmp"
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
	"sigs.k8s.io/yaml"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/scheme"
)

// Stdin is the path that stands for standard input.
const Stdin = "-"

// Origin says where an object was read: file and position in it, for error messages.
type Origin struct {
	File  string
	Index int // 1-based document number in the file
}

func (o Origin) String() string { return fmt.Sprintf("%s (document %d)", o.File, o.Index) }

// Note is something of the input that render did not use, for the person reading its
// standard error. It never quotes a secret value.
type Note struct {
	File string
	Text string
}

func (n Note) String() string { return n.File + ": " + n.Text }

// Set is everything read from the manifests, in the order read.
type Set struct {
	Bases    []dectv1alpha1.DectBase
	Handsets []dectv1alpha1.Handset
	Secrets  []corev1.Secret
	// ServerURL is the operator's --server-url, where firmware files are served.
	ServerURL string
	// Notes lists what was skipped, one per file or object, in the order read.
	Notes []Note

	// sealed holds the Secrets the input declares without their values (SOPS,
	// SealedSecret, ExternalSecret), by namespace/name.
	sealed  map[string]sealedSecret
	origins map[string]Origin // kind/namespace/name
}

// sealedSecret is a Secret the input declares but whose values it does not hold.
type sealedSecret struct {
	// how names the form, e.g. "SOPS-encrypted".
	how    string
	origin Origin
	// keys the Secret will have, or nil when the input does not tell.
	keys []string
	// labels the Secret will have, and where the form declares them (e.g.
	// "spec.template.metadata.labels"), for the consumable label.
	labels   map[string]string
	labelsAt string
}

func key(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// Load reads YAML or JSON manifests from files and folders (recursively: *.yaml, *.yml,
// *.json), and from standard input for the path "-". See LoadFrom.
func Load(paths []string, namespace string) (*Set, error) {
	return LoadFrom(os.Stdin, paths, namespace)
}

// LoadFrom is Load with stdin standing for the path "-".
//
// DectBases, Handsets and Secrets are decoded strictly: an object that does not decode
// is an error naming its file. Secrets whose values the input does not hold
// (SOPS-encrypted, SealedSecret, ExternalSecret) are recorded by name and keys. A file
// holding a template (Helm or Go: {{ ... }}), documents that are not Kubernetes objects
// and other kinds are skipped with a note. Two objects of one kind with the same
// namespace and name are an error naming both files: it is what rendering the folders
// of two kustomize sites that share a base name gives, and merging them would render
// neither site right.
func LoadFrom(stdin io.Reader, paths []string, namespace string) (*Set, error) {
	decoder := serializer.NewCodecFactory(scheme.New(), serializer.EnableStrict).UniversalDeserializer()
	set := &Set{origins: map[string]Origin{}, sealed: map[string]sealedSecret{}}
	l := loader{set: set, namespace: namespace, decoder: decoder}
	for _, root := range paths {
		if root == Stdin {
			data, err := io.ReadAll(stdin)
			if err != nil {
				l.errs = append(l.errs, fmt.Errorf("standard input: %w", err))
				continue
			}
			l.file("(standard input)", data)
			continue
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != root && d.Name() == ".git" {
					return filepath.SkipDir
				}
				return nil
			}
			if path != root && !isManifest(path) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			l.file(path, data)
			return nil
		})
		if err != nil {
			l.errs = append(l.errs, err)
		}
	}
	set.noteOrphans()
	return set, errors.Join(l.errs...)
}

func isManifest(path string) bool {
	switch filepath.Ext(path) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

type loader struct {
	set       *Set
	namespace string
	decoder   runtime.Decoder
	errs      []error
}

// file reads the documents of one file.
func (l *loader) file(path string, data []byte) {
	if isTemplate(data) {
		l.set.Notes = append(l.set.Notes, Note{path, "skipped: a template ({{ ... }}), not manifests; render its output instead, e.g. helm template ... | dect-operator render -"})
		return
	}
	var skipped []string
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for index := 1; ; index++ {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		origin := Origin{File: path, Index: index}
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: %w", origin, err))
			return
		}
		if len(bytes.TrimSpace(doc)) == 0 || isOnlyComments(doc) {
			continue
		}
		skipped = append(skipped, l.document(origin, doc)...)
	}
	if len(skipped) > 0 {
		text := "skipped " + summarize(skipped)
		if slices.Contains(skipped, "Kustomization") {
			text += " (its namespace, patches and generators are not applied here: for what the cluster gets, " +
				"pipe kustomize build " + filepath.Dir(path) + " into dect-operator render -)"
		}
		l.set.Notes = append(l.set.Notes, Note{path, text})
	}
}

// document reads one document and returns what it skipped (kinds, or a description).
func (l *loader) document(origin Origin, doc []byte) []string {
	var obj map[string]any
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		l.errs = append(l.errs, fmt.Errorf("%s: %w", origin, err))
		return nil
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	_, sops := obj["sops"]
	switch {
	case sops && (isEncrypted(apiVersion) || isEncrypted(kind)):
		return []string{"a SOPS-encrypted object whose kind is encrypted too (encrypt only data and stringData to let render see it)"}
	case apiVersion == "" || kind == "":
		return []string{"YAML that is not a Kubernetes object (no apiVersion or kind)"}
	case apiVersion == "v1" && kind == "List":
		var list struct {
			Items []map[string]any `json:"items"`
		}
		if err := yaml.Unmarshal(doc, &list); err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: List: %w", origin, err))
			return nil
		}
		var skipped []string
		for _, item := range list.Items {
			js, err := yaml.Marshal(item)
			if err != nil {
				l.errs = append(l.errs, fmt.Errorf("%s: List: %w", origin, err))
				continue
			}
			skipped = append(skipped, l.document(origin, js)...)
		}
		return skipped
	case sops && apiVersion == dectv1alpha1.GroupVersion.String():
		l.errs = append(l.errs, fmt.Errorf("%s: %s is SOPS-encrypted: its settings are not secret and must be readable "+
			"(encrypt only the data and stringData of Secrets, e.g. encrypted_regex: ^(data|stringData)$)", origin, kind))
		return nil
	case apiVersion == "v1" && kind == "Secret" && sops:
		l.sealedSecret(origin, "SOPS-encrypted", metadataOf(obj), dataKeys(obj, "data", "stringData"), labelsAt(obj, "metadata"))
		return nil
	case apiVersion == "bitnami.com/v1alpha1" && kind == "SealedSecret":
		meta := metadataOf(obj)
		spec, _ := obj["spec"].(map[string]any)
		keys := dataKeys(spec, "encryptedData")
		// The controller gives the Secret the template's labels, not the SealedSecret's.
		labels := labelsAt(obj, "spec", "template", "metadata")
		if tmpl, ok := spec["template"].(map[string]any); ok {
			// The controller names the Secret after the SealedSecret unless the template
			// says otherwise, and adds the template's own data keys.
			tm := metadataOf(tmpl)
			meta.name, meta.namespace = cmp.Or(tm.name, meta.name), cmp.Or(tm.namespace, meta.namespace)
			keys = append(keys, dataKeys(tmpl, "data")...)
		}
		l.sealedSecret(origin, "a SealedSecret", meta, keys, labels)
		return nil
	case strings.HasPrefix(apiVersion, "external-secrets.io/") && kind == "ExternalSecret":
		meta := metadataOf(obj)
		spec, _ := obj["spec"].(map[string]any)
		target, _ := spec["target"].(map[string]any)
		if name, _ := target["name"].(string); name != "" {
			meta.name = name
		}
		var keys []string
		data, _ := spec["data"].([]any)
		for _, d := range data {
			if m, ok := d.(map[string]any); ok {
				if k, ok := m["secretKey"].(string); ok {
					keys = append(keys, k)
				}
			}
		}
		if _, any := spec["dataFrom"]; any {
			keys = nil // dataFrom brings keys the manifest does not list
		}
		// External Secrets gives the Secret the target template's labels.
		l.sealedSecret(origin, "an ExternalSecret", meta, keys, labelsAt(obj, "spec", "target", "template", "metadata"))
		return nil
	case apiVersion == dectv1alpha1.GroupVersion.String() && (kind == "DectBase" || kind == "Handset"),
		apiVersion == "v1" && kind == "Secret":
	default:
		return []string{kind}
	}

	decoded, _, err := l.decoder.Decode(doc, nil, nil)
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("%s: %s: %w", origin, kind, err))
		return nil
	}
	s := l.set
	switch o := decoded.(type) {
	case *dectv1alpha1.DectBase:
		o.Namespace = pick(o.Namespace, l.namespace)
		if l.claim(origin, "DectBase", o.Namespace, o.Name) {
			s.Bases = append(s.Bases, *o)
		}
	case *dectv1alpha1.Handset:
		o.Namespace = pick(o.Namespace, l.namespace)
		if l.claim(origin, "Handset", o.Namespace, o.Name) {
			s.Handsets = append(s.Handsets, *o)
		}
	case *corev1.Secret:
		o.Namespace = pick(o.Namespace, l.namespace)
		// The API server folds stringData into data; so does this.
		if o.Data == nil {
			o.Data = map[string][]byte{}
		}
		for k, v := range o.StringData {
			o.Data[k] = []byte(v)
		}
		if l.claim(origin, "Secret", o.Namespace, o.Name) {
			s.Secrets = append(s.Secrets, *o)
		}
	}
	return nil
}

func (l *loader) sealedSecret(origin Origin, how string, meta objectMeta, keys []string, labels declaredLabels) {
	if meta.name == "" || isEncrypted(meta.name) || isEncrypted(meta.namespace) {
		l.set.Notes = append(l.set.Notes, Note{origin.File, fmt.Sprintf("skipped %s without a readable name (document %d)", how, origin.Index)})
		return
	}
	ns := pick(meta.namespace, l.namespace)
	if l.claim(origin, "Secret", ns, meta.name) {
		slices.Sort(keys)
		l.set.sealed[ns+"/"+meta.name] = sealedSecret{how: how, origin: origin, keys: slices.Compact(keys), labels: labels.labels, labelsAt: labels.at}
	}
}

// claim records where an object was read, and reports a second object of the same kind,
// namespace and name as an error naming both places.
func (l *loader) claim(origin Origin, kind, ns, name string) bool {
	k := key(kind, ns, name)
	if first, dup := l.set.origins[k]; dup {
		l.errs = append(l.errs, fmt.Errorf("%s: %s %s/%s is declared a second time (first in %s): objects of different sites "+
			"render as one; render each site on its own (e.g. kustomize build <site> | dect-operator render -)",
			origin, kind, ns, name, first))
		return false
	}
	l.set.origins[k] = origin
	return true
}

// noteOrphans notes the handsets whose base the input does not hold: they are not
// rendered, which a reader of the output would otherwise not know.
func (s *Set) noteOrphans() {
	for _, h := range s.Handsets {
		if _, ok := s.origins[key("DectBase", h.Namespace, h.Spec.BaseRef.Name)]; !ok {
			o := s.origins[key("Handset", h.Namespace, h.Name)]
			s.Notes = append(s.Notes, Note{o.File, fmt.Sprintf("Handset %s/%s not rendered: its DectBase %s is not in the input", h.Namespace, h.Name, h.Spec.BaseRef.Name)})
		}
	}
}

type objectMeta struct{ name, namespace string }

// declaredLabels are the labels a form of Secret declares for the Secret, and where.
type declaredLabels struct {
	labels map[string]string
	at     string
}

// labelsAt reads the labels of the metadata at path in obj.
func labelsAt(obj map[string]any, path ...string) declaredLabels {
	out := declaredLabels{at: strings.Join(path, ".") + ".labels", labels: map[string]string{}}
	m := obj
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	labels, _ := m["labels"].(map[string]any)
	for k, v := range labels {
		if s, ok := v.(string); ok {
			out.labels[k] = s
		}
	}
	return out
}

func metadataOf(obj map[string]any) objectMeta {
	m, _ := obj["metadata"].(map[string]any)
	name, _ := m["name"].(string)
	ns, _ := m["namespace"].(string)
	return objectMeta{name: name, namespace: ns}
}

func dataKeys(obj map[string]any, fields ...string) []string {
	var keys []string
	for _, f := range fields {
		if m, ok := obj[f].(map[string]any); ok {
			keys = append(keys, slices.Collect(maps.Keys(m))...)
		}
	}
	return keys
}

// isEncrypted tells a value SOPS encrypted: ENC[AES256_GCM,data:...,type:str].
func isEncrypted(v string) bool { return strings.HasPrefix(v, "ENC[") }

// isTemplate tells a Helm or Go template: a template action outside a comment line.
func isTemplate(data []byte) bool {
	for line := range strings.SplitSeq(string(data), "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "#") {
			continue
		}
		if open := strings.Index(l, "{{"); open >= 0 && strings.Contains(l[open:], "}}") {
			return true
		}
	}
	return false
}

// summarize lists skipped kinds compactly: "Deployment, 2 × Service".
func summarize(kinds []string) string {
	count := map[string]int{}
	var order []string
	for _, k := range kinds {
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	parts := make([]string, 0, len(order))
	for _, k := range order {
		if count[k] > 1 {
			parts = append(parts, fmt.Sprintf("%d × %s", count[k], k))
		} else {
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, ", ")
}

// File is one base's rendered file.
type File struct {
	Namespace, Base, MAC string
	// Document is exactly what the operator writes into the base's ConfigMap.
	Document []byte
	// Credentials is what it writes into the base's Secret, under the same key; nil when
	// some credential was withheld (see Withheld), since it would not be what the
	// operator writes.
	Credentials []byte
	// Withheld lists the credentials the input referenced but did not hold. The
	// Document does not depend on them: credentials live only in the Secret.
	Withheld []Withheld
}

// Withheld is one credential that the input references without holding its value.
type Withheld struct {
	// Object is who references it, e.g. "Handset hs-1013"; Use what for.
	Object, Use string
	Secret      string
	// Key names the keys, e.g. `key "password"`.
	Key string
	// Why says why the value is not available, and where the Secret was declared.
	Why string
}

func (w Withheld) String() string {
	return fmt.Sprintf("%s: %s (Secret %s, %s) left out: %s", w.Object, w.Use, w.Secret, w.Key, w.Why)
}

// placeholder stands in for a withheld credential while the document is built. The
// document never holds a credential, so it does not depend on the value; the
// credentials built with it are thrown away.
const placeholder = "withheld"

// Render renders every base of the set at the instant now, as the operator would when
// the whole set is applied at once at that instant: every object is new, without status,
// and created in the same second, so that among handsets without a pinned slot the
// first free slots go in the order of their names (slots.Assign breaks ties of creation
// time by name). A handset whose manifest sets metadata.creationTimestamp keeps it, to
// reproduce handsets created one after another. With the same now, the same objects
// give the same bytes (a registration window of mode OnChange or Scheduled depends on
// it). Every problem the operator would report in status is an error here, naming the
// file and object; a Secret the input references without holding its values is not one:
// see File.Withheld.
func Render(s *Set, now time.Time) ([]File, error) {
	var files []File
	var errs []error
	created := metav1.NewTime(now.UTC().Truncate(time.Second))
	macs := map[string]string{} // MAC -> the base that declared it first
	for bi := range s.Bases {
		base := s.Bases[bi].DeepCopy()
		base.Status = dectv1alpha1.DectBaseStatus{}
		where := s.origins[key("DectBase", base.Namespace, base.Name)]
		var handsets []dectv1alpha1.Handset
		for _, h := range s.Handsets {
			if h.Namespace == base.Namespace && h.Spec.BaseRef.Name == base.Name {
				h := *h.DeepCopy()
				h.Status = dectv1alpha1.HandsetStatus{}
				if h.CreationTimestamp.IsZero() {
					h.CreationTimestamp = created
				}
				handsets = append(handsets, h)
			}
		}
		mac, err := gigaset.ParseMAC(base.Spec.MACAddress)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: DectBase %s: %w", where, base.Name, err))
			continue
		}
		if first, dup := macs[mac]; dup {
			errs = append(errs, fmt.Errorf("%s: DectBase %s: MAC %s is already declared by DectBase %s; the operator serves only one of them", where, base.Name, mac, first))
			continue
		}
		macs[mac] = base.Namespace + "/" + base.Name
		secrets, refused, withheld := s.secretsFor(base, handsets)
		res, err := assemble.Build(assemble.Input{Base: base, MAC: mac, Handsets: handsets, Secrets: secrets, Refused: refused, Now: now, ServerURL: s.ServerURL})
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
		f := File{Namespace: base.Namespace, Base: base.Name, MAC: mac,
			Document: res.File.Document, Credentials: res.File.Credentials, Withheld: withheld}
		if len(withheld) > 0 {
			f.Credentials = nil
		}
		files = append(files, f)
	}
	return files, errors.Join(errs...)
}

// secretsFor returns the values of the Secrets base and its handsets reference, with a
// placeholder for each referenced key that the input declares without its value (or
// does not declare at all: such Secrets are commonly created outside Git), and the list
// of those. A key that a declared Secret is known not to have stays missing, so that it
// is reported as the operator would report it. A declared Secret (plain or sealed)
// without the consumable label is refused, as the operator refuses it.
func (s *Set) secretsFor(base *dectv1alpha1.DectBase, handsets []dectv1alpha1.Handset) (assemble.Secrets, assemble.Refused, []Withheld) {
	secrets, refused := assemble.Secrets{}, assemble.Refused{}
	plain := map[string]bool{}
	for _, sec := range s.Secrets {
		if sec.Namespace != base.Namespace {
			continue
		}
		if why := s.refusal(&sec.ObjectMeta, "metadata.labels", s.origins[key("Secret", sec.Namespace, sec.Name)]); why != "" {
			refused[sec.Name] = why
			continue
		}
		secrets[sec.Name] = sec.Data
		plain[sec.Name] = true
	}
	for k, sealed := range s.sealed {
		if ns, name, _ := strings.Cut(k, "/"); ns == base.Namespace {
			meta := &metav1.ObjectMeta{Namespace: ns, Name: name, Labels: sealed.labels}
			if why := s.refusal(meta, sealed.labelsAt, sealed.origin); why != "" {
				refused[name] = why
			}
		}
	}
	var withheld []Withheld
	// why says why the Secret name's values are not in the input ("" when they are),
	// and has tells whether it will have each key.
	why := func(name string) (string, func(key string) bool) {
		if plain[name] {
			return "", nil
		}
		sealed, ok := s.sealed[base.Namespace+"/"+name]
		if !ok {
			return "no Secret of this name in the input (fine if it is created outside Git; otherwise check the name)",
				func(string) bool { return true }
		}
		return fmt.Sprintf("%s in %s", sealed.how, sealed.origin),
			func(k string) bool { return sealed.keys == nil || slices.Contains(sealed.keys, k) }
	}
	// withhold records that object's use of the keys of Secret name is left out, with
	// placeholders in their place. It does nothing when the input holds the Secret's
	// values, or declares a Secret known to lack a key: the operator will report that, and
	// so does Build.
	withhold := func(object, what, name string, keys []string, placeholders ...string) {
		if _, no := refused[name]; no {
			return // reported by Build
		}
		reason, has := why(name)
		if reason == "" || slices.ContainsFunc(keys, func(k string) bool { return !has(k) }) {
			return
		}
		if secrets[name] == nil {
			secrets[name] = map[string][]byte{}
		}
		if placeholders == nil {
			placeholders = keys
		}
		for _, k := range placeholders {
			secrets[name][k] = []byte(placeholder)
		}
		quoted := make([]string, len(keys))
		for i, k := range keys {
			quoted[i] = fmt.Sprintf("%q", k)
		}
		plural := map[bool]string{false: "key ", true: "keys "}[len(keys) > 1]
		withheld = append(withheld, Withheld{Object: object, Use: what, Secret: name, Key: plural + strings.Join(quoted, " and "), Why: reason})
	}
	use := func(object, what string, r *dectv1alpha1.SecretKeyRef) {
		withhold(object, what, r.Name, []string{cmp.Or(r.Key, "password")})
	}

	baseName := "DectBase " + base.Name
	if r := base.Spec.Provisioning.AuthSecretRef; r != nil {
		// The document does not use the device's credentials, so username and password
		// placeholders stand in for whichever the Secret holds (a MAC-ID placeholder
		// would have to parse as one).
		keys := []string{"username", "password"}
		if _, has := why(r.Name); has != nil && !(has("username") && has("password")) {
			keys = []string{"macID"}
		}
		withhold(baseName, "HTTP Digest credentials", r.Name, keys, "username", "password")
	}
	if r := base.Spec.WebPasswordSecretRef; r != nil {
		use(baseName, "web password", r)
	}
	for _, item := range base.Spec.ExtraItems {
		if r := item.ValueFrom; r != nil {
			use(baseName, "extra item "+item.ID, r)
		}
	}
	for _, h := range handsets {
		use("Handset "+h.Name, "SIP password", &h.Spec.SIP.PasswordSecretRef)
	}
	// The base first, then its handsets by name: the notes do not depend on read order.
	slices.SortStableFunc(withheld, func(a, b Withheld) int { return cmp.Compare(a.Object, b.Object) })
	return secrets, refused, withheld
}

// refusal is why the operator would refuse a declared Secret (assemble.Consumable), with
// where in the manifest to add the label; "" when it would use it. A label whose value
// SOPS encrypted cannot be read: it is given the benefit of the doubt.
func (s *Set) refusal(meta *metav1.ObjectMeta, labelsAt string, origin Origin) string {
	ok, why := assemble.Consumable(meta)
	v, labelled := meta.Labels[dectv1alpha1.LabelConsumable]
	switch {
	case ok, labelled && isEncrypted(v):
		return ""
	case v == "true": // refused for another reason than the label
		return why
	}
	return fmt.Sprintf("Secret %s (%s) is not labelled %s: \"true\", so the operator will not use it: add the label to its %s",
		meta.Name, origin, dectv1alpha1.LabelConsumable, labelsAt)
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
