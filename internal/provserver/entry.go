package provserver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/dect-operator/dect-operator/internal/digest"
)

// Entry is what the server knows about one device (one DectBase).
type Entry struct {
	Namespace, Base string // the DectBase
	MAC             string // canonical 12 upper-case hex
	// Body is the full file (document joined with credentials), ISO-8859-1.
	// It holds secrets: Entry's formatting (%v and friends) shows only its
	// length.
	Body []byte
	// Hash is the hex SHA-256 of Body, used for the ETag and delivery records.
	// Store.Set computes it when empty.
	Hash           string
	Auth           Auth
	AllowedSources []netip.Prefix // empty = any
}

// Auth is the authentication a base requires. Its formatting never shows the
// password or the MAC-ID.
type Auth struct {
	// Username and Password are the configured Digest credentials; both empty
	// means none.
	Username, Password string
	// MACID is the device's built-in identity password, the code printed on
	// its label (XXXXXXXXXXXX-XXXX); empty means the built-in identity is not
	// accepted. The user name of that identity is the MAC. It is compared
	// exactly as given.
	MACID string
}

// Enabled reports whether the base requires authentication. A base without it
// is served to anyone allowed by AllowedSources; the caller reports it as
// unprotected.
func (a Auth) Enabled() bool { return a.Username != "" || a.MACID != "" }

// Format redacts the secrets for every verb, so that logging an Auth or an
// Entry with any fmt verb cannot leak them.
func (a Auth) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "{Username:%q Password:%s MACID:%s}", a.Username, redacted(a.Password), redacted(a.MACID))
}

// Format shows an Entry with its body reduced to its length and hash.
func (e Entry) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "{Namespace:%q Base:%q MAC:%q Body:<%d bytes> Hash:%q Auth:%v AllowedSources:%v}",
		e.Namespace, e.Base, e.MAC, len(e.Body), e.Hash, e.Auth, e.AllowedSources)
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "<redacted>"
}

// served is an Entry as the handler uses it: validated, copied, and with
// everything a response needs precomputed.
type served struct {
	Entry
	key        macKey
	etag       string   // `"<Hash>"`
	etagHeader []string // header values are shared read-only by all responses
	lenHeader  []string
	identities []digest.Identity
	// probeExempt: a wrong password for the user name MAC is the device trying
	// its built-in identity, which this base does not accept anyway; it is not
	// counted as a failure, so the device's normal sequence never locks out.
	probeExempt bool
	// metrics caches the per-base metrics of the last handler that served
	// this entry, so the hot path needs no map lookup.
	metrics atomic.Pointer[handlerMetrics]
}

// Check validates e as Store.Set does and returns it as the Store would hold
// it: the MAC canonical, Hash filled in, AllowedSources normalised (a new
// slice). Body is not copied. It lets a process that only passes entries on
// (the manager's feed to its sidecar) refuse what the Store would refuse, before
// it leaves the process. Errors name the field and what was expected and never
// contain a secret.
func Check(e Entry) (Entry, error) {
	key, ok := parseMAC(e.MAC)
	if !ok {
		return Entry{}, fmt.Errorf("provserver: entry %s/%s: MAC %q is not 12 hex digits", e.Namespace, e.Base, truncate(e.MAC, 32))
	}
	e.MAC = key.String()
	sum := sha256.Sum256(e.Body)
	hash := hex.EncodeToString(sum[:])
	switch e.Hash {
	case "":
		e.Hash = hash
	case hash:
	default:
		return Entry{}, fmt.Errorf("provserver: entry %s/%s: Hash is not the hex SHA-256 of Body", e.Namespace, e.Base)
	}
	if (e.Auth.Username == "") != (e.Auth.Password == "") {
		return Entry{}, fmt.Errorf("provserver: entry %s/%s: Auth needs both Username and Password, or neither", e.Namespace, e.Base)
	}
	sources := make([]netip.Prefix, 0, len(e.AllowedSources))
	for i, p := range e.AllowedSources {
		if !p.IsValid() {
			return Entry{}, fmt.Errorf("provserver: entry %s/%s: AllowedSources[%d] is not a valid prefix", e.Namespace, e.Base, i)
		}
		sources = append(sources, normalizePrefix(p))
	}
	e.AllowedSources = sources
	return e, nil
}

// newServed validates e and prepares it for serving, with a copy of its Body.
func newServed(e Entry) (*served, error) {
	e, err := Check(e)
	if err != nil {
		return nil, err
	}
	key, _ := parseMAC(e.MAC)
	e.Body = append([]byte(nil), e.Body...)

	s := &served{
		Entry:      e,
		key:        key,
		etag:       `"` + e.Hash + `"`,
		lenHeader:  []string{strconv.Itoa(len(e.Body))},
		identities: make([]digest.Identity, 0, 2),
	}
	s.etagHeader = []string{s.etag}
	if e.Auth.Username != "" {
		s.identities = append(s.identities, digest.Identity{Username: e.Auth.Username, Password: e.Auth.Password})
	}
	if e.Auth.MACID != "" {
		s.identities = append(s.identities, digest.Identity{Username: e.MAC, Password: e.Auth.MACID})
	}
	// Case-insensitive, as the handler's test of the user name: a configured
	// user name that is the MAC in lower case is a real identity, and guesses
	// at its password must count.
	s.probeExempt = e.Auth.MACID == "" && !strings.EqualFold(e.Auth.Username, e.MAC)
	return s, nil
}

// normalizePrefix masks p and turns an IPv4-mapped IPv6 prefix into the IPv4
// prefix it means, because client addresses are unmapped before matching.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// allows reports whether a client at addr may fetch this entry.
func (s *served) allows(addr netip.Addr) bool {
	if len(s.AllowedSources) == 0 {
		return true
	}
	for _, p := range s.AllowedSources {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
