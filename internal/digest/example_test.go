package digest_test

import (
	"fmt"

	"github.com/dect-operator/dect-operator/internal/digest"
)

// A server challenges, a device answers with its built-in identity, and the
// server verifies the answer.
func Example() {
	srv, err := digest.NewServer(digest.Config{Realm: "dect-operator"})
	if err != nil {
		panic(err)
	}
	const uri = "/7C2F80CA21E4.xml"
	ids := []digest.Identity{
		{Username: "provisioning", Password: "configured secret"},
		{Username: "7C2F80CA21E4", Password: "7C2F80CA21E4-AB12"}, // MAC and MAC-ID
	}

	// 401: one challenge per algorithm, SHA-256 first, sharing one nonce.
	challenges := srv.Challenges("7C2F80CA21E4", false)

	// The device answers the first challenge.
	authz, err := digest.Respond(challenges[0], "GET", uri, "7C2F80CA21E4", "7C2F80CA21E4-AB12")
	if err != nil {
		panic(err)
	}

	creds, err := digest.ParseAuthorization(authz)
	if err != nil {
		panic(err)
	}
	id, err := srv.Verify(&creds, digest.Request{Method: "GET", URI: uri, Scope: "7C2F80CA21E4"}, ids)
	fmt.Println(creds.Algorithm, id, err)

	// The same header again is a replay.
	_, err = srv.Verify(&creds, digest.Request{Method: "GET", URI: uri, Scope: "7C2F80CA21E4"}, ids)
	fmt.Println(err)
	// Output:
	// SHA-256 1 <nil>
	// digest: replayed nonce count: nc must be above the last one used with this nonce
}
