package simulator

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// This file is the device's HTTP Digest client (RFC 7616), written here rather than
// shared with the provisioning server so that a bug on one side is caught by the other.

// challenge is a Digest challenge the client can answer. Only usableChallenge makes
// one, so its algorithm is always supported.
type challenge struct {
	realm     string
	nonce     string
	opaque    string
	hasOpaque bool
	alg       digestAlgorithm
	algToken  string // the algorithm as the server wrote it, echoed back; "" = MD5
	qopAuth   bool   // the server offered qop=auth; false = no qop (RFC 2069)
	stale     bool
}

// digestAlgorithm is a supported algorithm; higher rank is preferred.
type digestAlgorithm struct {
	name    string
	sess    bool
	newHash func() hash.Hash
	rank    int
}

var digestAlgorithms = []digestAlgorithm{
	{name: "SHA-256", newHash: sha256.New, rank: 4},
	{name: "SHA-256-sess", sess: true, newHash: sha256.New, rank: 3},
	{name: "MD5", newHash: md5.New, rank: 2},
	{name: "MD5-sess", sess: true, newHash: md5.New, rank: 1},
}

func lookupDigestAlgorithm(name string) (digestAlgorithm, bool) {
	if name == "" {
		name = "MD5" // RFC 7616 §3.3: absent means MD5
	}
	for _, a := range digestAlgorithms {
		if strings.EqualFold(a.name, name) {
			return a, true
		}
	}
	return digestAlgorithm{}, false
}

// algorithmName is the algorithm that will be used, for reports.
func (c challenge) algorithmName() string { return c.alg.name }

// pickChallenge chooses among the Digest challenges of a 401: the strongest supported
// algorithm (SHA-256 before MD5), among those the client can answer (qop=auth, or no
// qop at all as in RFC 2069).
func pickChallenge(headers []string) (challenge, bool) {
	var best challenge
	for _, h := range headers {
		for _, params := range parseChallenges(h) {
			if c, ok := usableChallenge(params); ok && c.alg.rank > best.alg.rank {
				best = c
			}
		}
	}
	return best, best.alg.rank > 0
}

// usableChallenge turns the parameters of a Digest challenge into a challenge the
// client can answer, if it can.
func usableChallenge(params map[string]string) (challenge, bool) {
	alg, ok := lookupDigestAlgorithm(params["algorithm"])
	if !ok || params["nonce"] == "" {
		return challenge{}, false
	}
	c := challenge{
		realm:    params["realm"],
		nonce:    params["nonce"],
		alg:      alg,
		algToken: params["algorithm"],
		stale:    strings.EqualFold(params["stale"], "true"),
	}
	c.opaque, c.hasOpaque = params["opaque"]
	if qop, ok := params["qop"]; ok {
		for q := range strings.SplitSeq(qop, ",") {
			if strings.EqualFold(strings.TrimSpace(q), "auth") {
				c.qopAuth = true
			}
		}
		if !c.qopAuth {
			return challenge{}, false // only auth-int, which the device does not speak
		}
	}
	return c, true
}

// authorization returns the Authorization header answering c for one request.
func (c challenge) authorization(method, uri, username, password string, nc uint32, cnonce string) string {
	h := func(parts ...string) string {
		x := c.alg.newHash()
		x.Write([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha1 := h(username, c.realm, password)
	if c.alg.sess {
		ha1 = h(ha1, c.nonce, cnonce)
	}
	ha2 := h(method, uri)
	ncText := fmt.Sprintf("%08x", nc)

	var response string
	if c.qopAuth {
		response = h(ha1, c.nonce, ncText, cnonce, "auth", ha2)
	} else {
		response = h(ha1, c.nonce, ha2) // RFC 2069 compatibility: the server sent no qop
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Digest username=%s, realm=%s, nonce=%s, uri=%s",
		quote(username), quote(c.realm), quote(c.nonce), quote(uri))
	if c.algToken != "" {
		fmt.Fprintf(&b, ", algorithm=%s", c.algToken)
	}
	fmt.Fprintf(&b, ", response=%s", quote(response))
	if c.qopAuth {
		fmt.Fprintf(&b, ", qop=auth, nc=%s, cnonce=%s", ncText, quote(cnonce))
	}
	if c.hasOpaque {
		fmt.Fprintf(&b, ", opaque=%s", quote(c.opaque))
	}
	return b.String()
}

// quote writes s as an HTTP quoted-string.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// parseChallenges reads the challenges of one WWW-Authenticate header value and
// returns the parameters (names in lower case) of those with the Digest scheme. The grammar (RFC 9110 §11.6.1) allows several
// challenges in one value, separated by commas like their parameters: a token that is
// not followed by "=" starts a new challenge. Malformed input ends the parse early; it
// never loops, since every step consumes input.
func parseChallenges(h string) []map[string]string {
	var out []map[string]string
	s := h
	for {
		s = strings.TrimLeft(s, " \t,")
		scheme, rest := cutToken(s)
		if scheme == "" {
			return out
		}
		s = rest
		var params map[string]string
		params, s = parseAuthParams(s)
		if strings.EqualFold(scheme, "Digest") {
			out = append(out, params)
		}
	}
}

// parseAuthParams reads name=value pairs up to the next challenge or the end.
func parseAuthParams(s string) (map[string]string, string) {
	params := map[string]string{}
	for {
		rest := strings.TrimLeft(s, " \t,")
		name, after := cutToken(rest)
		after = strings.TrimLeft(after, " \t")
		if name == "" || !strings.HasPrefix(after, "=") {
			// Not a parameter: either the end, the next challenge's scheme, or a
			// token68 (as in Basic's credentials), which a Digest client can skip.
			if name != "" || rest == "" {
				return params, rest
			}
			// An unexpected character: drop it so that parsing moves on.
			return params, rest[1:]
		}
		after = strings.TrimLeft(after[1:], " \t")
		var val string
		if strings.HasPrefix(after, `"`) {
			val, after = cutQuoted(after)
		} else {
			val, after = cutToken(after)
		}
		key := strings.ToLower(name)
		if _, dup := params[key]; !dup {
			params[key] = val
		}
		s = after
	}
}

// cutToken splits off a leading HTTP token (RFC 9110 tchar characters).
func cutToken(s string) (string, string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// cutQuoted reads a quoted-string at the start of s, resolving backslash escapes. An
// unterminated string takes the rest of s.
func cutQuoted(s string) (string, string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}
