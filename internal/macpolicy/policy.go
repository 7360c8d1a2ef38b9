package macpolicy

import (
	"cmp"
	"fmt"
	"time"
)

// Mode is what a namespace without the Annotation may declare.
type Mode string

const (
	// FirstCome (the default, and what the zero Mode means): any MAC that no annotated
	// namespace reserves; among several claims, the oldest base holds it.
	FirstCome Mode = "first-come"
	// AllowList: nothing. Only the MACs an annotation lists are ever served.
	AllowList Mode = "allow-list"
)

// ParseMode reads the manager's and the server's --mac-policy flag.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case FirstCome, AllowList:
		return m, nil
	case "":
		return FirstCome, nil
	}
	return "", fmt.Errorf("MAC policy %q: expected %s or %s", s, FirstCome, AllowList)
}

// Policy is the mode and every namespace's Annotation, parsed.
type Policy struct {
	mode Mode
	// lists and problems are by namespace, for the namespaces with the Annotation.
	lists    map[string]List
	problems map[string]error
	// reservers maps each entry (canonical digits) to the namespaces that list it.
	reservers map[string][]string
}

// New parses the Annotation of every namespace that has it (annotations: value by
// namespace name; a namespace without the Annotation is absent, one with an empty value
// present).
func New(mode Mode, annotations map[string]string) Policy {
	p := Policy{mode: mode, lists: map[string]List{}, problems: map[string]error{}, reservers: map[string][]string{}}
	for ns, v := range annotations {
		l, err := ParseList(v)
		p.lists[ns] = l
		if err != nil {
			p.problems[ns] = err
		}
		for _, e := range l.entries {
			p.reservers[e] = append(p.reservers[e], ns)
		}
	}
	return p
}

// Mode is the policy's mode; FirstCome for the zero Policy.
func (p Policy) Mode() Mode { return cmp.Or(p.mode, FirstCome) }

// reservedFor returns the namespaces that list mac most specifically (the longest
// matching entry), nil when no annotation lists it.
func (p Policy) reservedFor(mac string) []string {
	for n := min(len(mac), 12); n >= 0; n-- {
		if ns, ok := p.reservers[mac[:n]]; ok {
			return ns
		}
	}
	return nil
}

// Claim is one DectBase declaring the MAC.
type Claim struct {
	Namespace, Name string
	// Created orders claims: the older one holds the MAC. Namespace and Name break ties.
	Created time.Time
	// Deleting: the DectBase is being deleted.
	Deleting bool
}

// Older orders two claims: the older first, then by namespace and name, so that the
// order is total.
func Older(a, b Claim) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// Reason says why a claim does not hold its MAC. The values are the DectBase's
// condition reasons.
type Reason string

const (
	// DuplicateMAC: a claim the policy allows too, and older, holds the MAC.
	DuplicateMAC Reason = "DuplicateMAC"
	// NotAllowed: the policy refuses the claim's namespace this MAC.
	NotAllowed Reason = "MACNotAllowed"
	// PolicyInvalid: the claim's namespace has an Annotation that does not parse.
	PolicyInvalid Reason = "MACPolicyInvalid"
)

// Verdict is the outcome for one claim.
type Verdict struct {
	// Reason is "" for the holder only.
	Reason Reason
	// Message is written for the claim's tenant: it names another DectBase only when
	// that one is in the claim's own namespace, and never names another namespace.
	Message string
}

// Decision is the outcome for every claim on one MAC.
type Decision struct {
	// Holder is the index of the claim whose file is rendered and served, -1 for none.
	Holder int
	// Verdicts are by claim index.
	Verdicts []Verdict
}

// Decide decides which of the claims on mac (canonical) holds it. The order of the
// rules is the order of precedence:
//  1. A claim from a namespace whose Annotation does not parse is refused
//     (PolicyInvalid): never served until a cluster admin corrects it, rather than
//     served as if the namespace were not restricted.
//  2. A MAC listed by some Annotation is reserved for the namespaces that list it most
//     specifically (a whole MAC beats a prefix, a longer prefix a shorter one); the
//     entries that do parse in an Annotation that does not count too. A claim from any
//     other namespace is refused (NotAllowed), however old.
//  3. A claim from a namespace with an Annotation that does not list mac is refused
//     (NotAllowed): the Annotation restricts its own namespace.
//  4. In AllowList mode, a claim from a namespace without the Annotation is refused
//     (NotAllowed).
//  5. Of the claims left, the oldest (Older) that is not being deleted holds mac; the
//     others are refused (DuplicateMAC).
//  6. When every claim left is being deleted, the oldest of them holds mac until it is
//     gone: the server keeps its file served meanwhile (the manager renders nothing for
//     a base being deleted).
func (p Policy) Decide(mac string, claims []Claim) Decision {
	d := Decision{Holder: -1, Verdicts: make([]Verdict, len(claims))}
	reserved := p.reservedFor(mac)
	allowed := make([]bool, len(claims))
	for i, c := range claims {
		v := p.admit(mac, c.Namespace, reserved)
		d.Verdicts[i] = v
		allowed[i] = v.Reason == ""
	}
	// Rules 5 and 6: a live claim beats one being deleted, then the older one.
	for i, c := range claims {
		if !allowed[i] {
			continue
		}
		if h := d.Holder; h < 0 || (claims[h].Deleting && !c.Deleting) ||
			(claims[h].Deleting == c.Deleting && Older(c, claims[h]) < 0) {
			d.Holder = i
		}
	}
	if d.Holder < 0 {
		return d
	}
	holder := claims[d.Holder]
	for i, c := range claims {
		if !allowed[i] || i == d.Holder {
			continue
		}
		d.Verdicts[i] = duplicate(mac, c, holder)
	}
	return d
}

// admit applies rules 1 to 4 to a claim from namespace ns.
func (p Policy) admit(mac, ns string, reserved []string) Verdict {
	if err := p.problems[ns]; err != nil {
		return Verdict{PolicyInvalid, fmt.Sprintf("the annotation %s on namespace %s does not parse: %v; "+
			"no DectBase of this namespace is served until a cluster admin corrects it", Annotation, ns, err)}
	}
	_, annotated := p.lists[ns]
	switch {
	case len(reserved) > 0 && !contains(reserved, ns):
		return Verdict{NotAllowed, fmt.Sprintf("MAC %s is reserved for another namespace by the cluster admin; "+
			"if this device is yours, ask a cluster admin to allow it for namespace %s (annotation %s on the namespace)",
			mac, ns, Annotation)}
	case len(reserved) > 0:
		return Verdict{}
	case annotated:
		return Verdict{NotAllowed, fmt.Sprintf("MAC %s is not among the MACs namespace %s may declare; "+
			"ask a cluster admin to add it to the annotation %s on the namespace", mac, ns, Annotation)}
	case p.Mode() != FirstCome: // AllowList, and any mode this code does not know
		return Verdict{NotAllowed, fmt.Sprintf("MAC %s is not allowed: only MACs a cluster admin allows a namespace "+
			"are served here, and namespace %s allows none; ask a cluster admin to add it to the annotation %s on the namespace",
			mac, ns, Annotation)}
	}
	return Verdict{}
}

// duplicate is the verdict for claim c, allowed but younger than holder.
func duplicate(mac string, c, holder Claim) Verdict {
	if holder.Namespace == c.Namespace {
		return Verdict{DuplicateMAC, fmt.Sprintf("MAC %s is already declared by DectBase %s, which is older", mac, holder.Name)}
	}
	return Verdict{DuplicateMAC, fmt.Sprintf("MAC %s is already declared by an older DectBase in another namespace; "+
		"if this device is yours, ask a cluster admin to reserve it for namespace %s (annotation %s on the namespace)",
		mac, c.Namespace, Annotation)}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
