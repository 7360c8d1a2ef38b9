package gigaset

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestRenderRejectsInvalidModels: each case breaks one thing in a valid document;
// Render must refuse it with a FieldError naming the slot and field.
func TestRenderRejectsInvalidModels(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *Document)
		slot   int
		field  string
		msg    string // distinctive part of the message
	}{
		{"lower-case MAC", func(d *Document) { d.MAC = "7c2f80ca21e4" }, -1, "mac", `MAC address "7c2f80ca21e4" is not canonical: expected 7C2F80CA21E4`},
		{"MAC with colons", func(d *Document) { d.MAC = "7C:2F:80:CA:21:E4" }, -1, "mac", "not canonical"},
		{"MAC missing", func(d *Document) { d.MAC = "" }, -1, "mac", "expected 12 hex digits"},
		{"profile name with quote", func(d *Document) { d.ProfileName = `a"b` }, -1, "profileName", "double quote"},
		{"display name with quote", func(d *Document) { d.Slots[1].DisplayName = `Bob "B"` }, 1, "slot.displayName", "double quote"},
		{"user ID with apostrophe", func(d *Document) { d.Slots[0].UserID = "o'neil" }, 0, "slot.userID", "single quote"},
		{"account name with newline", func(d *Document) { d.Slots[2].AccountName = "a\nb" }, 2, "slot.accountName", "control character U+000A"},
		{"display name not Latin-1", func(d *Document) { d.Slots[2].DisplayName = "Łukasz" }, 2, "slot.displayName", "not in ISO-8859-1"},
		{"display name too long", func(d *Document) { d.Slots[0].DisplayName = strings.Repeat("x", 33) }, 0, "slot.displayName", "33 characters long; at most 32"},
		{"mailbox invalid UTF-8", func(d *Document) { d.Slots[0].MailboxNumber = "\xff2" }, 0, "slot.mailboxNumber", "not valid UTF-8"},
		{"provider domain with quote", func(d *Document) { d.Provider.Domain = `pbx".example` }, -1, "provider.domain", "double quote"},
		{"PIN too short", func(d *Document) { d.Registration.PIN = "123" }, -1, "registration.pin", `PIN "123": expected exactly 4 digits`},
		{"PIN empty", func(d *Document) { d.Registration.PIN = "" }, -1, "registration.pin", `PIN "": expected exactly 4 digits`},
		{"PIN with letter", func(d *Document) { d.Registration.PIN = "12a4" }, -1, "registration.pin", "not a digit"},
		{"IPUI lower case", func(d *Document) { d.Slots[0].IPUI = "00abc50871" }, 0, "slot.ipui", `IPUI "00abc50871" is not canonical: expected 00ABC50871`},
		{"IPUI with spaces", func(d *Document) { d.Slots[0].IPUI = "00 AB C5 08 71" }, 0, "slot.ipui", "not canonical"},
		{"IPUI short", func(d *Document) { d.Slots[0].IPUI = "00ABC508" }, 0, "slot.ipui", "has 8 hex digits"},
		{"IPUI no-reservation marker", func(d *Document) { d.Slots[0].IPUI = "FFFFFFFFFF" }, 0, "slot.ipui", "no reservation"},
		{"duplicate IPUI", func(d *Document) { d.Slots[2].IPUI = d.Slots[0].IPUI }, 2, "slot.ipui", "IPUI 00ABC50871 is already reserved by slot 0 (handset handset-1013)"},
		{"server port 0", func(d *Document) { d.Provider.ServerPort = 0 }, -1, "provider.serverPort", "value 0 is outside 1..65535"},
		{"registrar port too large", func(d *Document) { d.Provider.RegistrarPort = 65536 }, -1, "provider.registrarPort", "value 65536 is outside 1..65535"},
		{"outbound proxy port negative", func(d *Document) { d.Provider.OutboundProxyPort = -1 }, -1, "provider.outboundProxyPort", "outside 1..65535"},
		{"re-registration 0", func(d *Document) { d.Provider.ReRegistrationSeconds = 0 }, -1, "provider.reRegistrationSeconds", "value 0 is outside 1..65535"},
		{"unknown transport", func(d *Document) { d.Provider.Transport = "TLS" }, -1, "provider.transport", `unknown transport "TLS"; the profile knows TCP, UDP (case-sensitive)`},
		{"transport lower case", func(d *Document) { d.Provider.Transport = "udp" }, -1, "provider.transport", `unknown transport "udp"`},
		{"transport empty", func(d *Document) { d.Provider.Transport = "" }, -1, "provider.transport", `unknown transport ""`},
		{"timezone negative", func(d *Document) { d.Time = &Time{TimezoneCode: -1} }, -1, "time.timezoneCode", "outside 0..65535"},
		{"NTP server not Latin-1", func(d *Document) { d.Time = &Time{NTPServer: "ntp.日本"} }, -1, "time.ntpServer", "not in ISO-8859-1"},
		{"window start negative", func(d *Document) { d.Registration.WindowStart = -1 }, -1, "registration.windowStart", "outside 0..4294967295"},
		{"window beyond 32 bits", func(d *Document) { d.Registration.WindowSeconds = 1 << 32 }, -1, "registration.windowSeconds", "value 4294967296 is outside 0..4294967295"},
		{"owner upper case", func(d *Document) { d.Slots[0].Owner = "Handset-1" }, 0, "slot.owner", `owner "Handset-1": character 1 is not allowed`},
		{"owner with underscore", func(d *Document) { d.Slots[0].Owner = "a_b" }, 0, "slot.owner", "character 2 is not allowed"},
		{"owner too long", func(d *Document) { d.Slots[0].Owner = strings.Repeat("a", 254) }, 0, "slot.owner", "254 characters long"},
		{"owner twice", func(d *Document) { d.Slots[1].Owner = d.Slots[0].Owner }, 1, "slot.owner", "handset-1013 already holds slot 0"},
		{"settings without owner", func(d *Document) { d.Slots[7].UserID = "1099" }, 7, "slot.owner", "the slot has settings but no owner"},
		{"extra malformed ID", func(d *Document) { d.Extra = []Item{{ID: "BS_X..y", Value: "1"}} }, -1, "extra[0]", `ID "BS_X..y": character 6: expected a name`},
		{"extra is a modelled ID", func(d *Document) {
			d.Extra = []Item{{ID: "BS_VOIP_Data.astVoipAccounts[3].aucS_SIP_USER_ID[0]", Value: `"x"`}}
		}, -1, "extra[0] BS_VOIP_Data.astVoipAccounts[3].aucS_SIP_USER_ID[0]", "addresses the modelled parameter slot.userID"},
		{"extra is a modelled ID in another spelling", func(d *Document) {
			d.Extra = []Item{{ID: "BS_VOIP_Data.astVoipAccounts[3].aucS_VOIP_NET_AM_NUMBER_1", Value: `"*3"`}}
		}, -1, "extra[0] BS_VOIP_Data.astVoipAccounts[3].aucS_VOIP_NET_AM_NUMBER_1", "addresses the modelled parameter slot.mailboxNumber"},
		{"extra wildcard over all accounts", func(d *Document) {
			d.Extra = []Item{{ID: "BS_VOIP_Data.astVoipAccounts[%].aucS_SIP_DISPLAYNAME[0]", Value: `"x"`}}
		}, -1, "extra[0] BS_VOIP_Data.astVoipAccounts[%].aucS_SIP_DISPLAYNAME[0]", "addresses the modelled parameter slot.displayName (BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_DISPLAYNAME[0]) in another form"},
		{"extra slot beyond the table", func(d *Document) {
			d.Extra = []Item{{ID: "BS_CUSTOM.aucHandsetCode[100]", Value: "0x01,0x02,0x03,0x04,0x05"}}
		},
			-1, "extra[0] BS_CUSTOM.aucHandsetCode[100]", "slot index 100 is outside 0..99 (parameter slot.ipui)"},
		{"extra case variant of a modelled ID", func(d *Document) { d.Extra = []Item{{ID: "BS_CUSTOM.webuipassword", Value: `"x"`}} },
			-1, "extra[0] BS_CUSTOM.webuipassword", "addresses the modelled parameter webPassword"},
		{"extra value unquoted text", func(d *Document) { d.Extra = []Item{{ID: "BS_X.y", Value: "abc"}} }, -1, "extra[0] BS_X.y", `"abc": expected a quoted string`},
		{"extra value bad byte list", func(d *Document) { d.Extra = []Item{{ID: "BS_X.y", Value: "0x01, 0x02"}} }, -1, "extra[0] BS_X.y", "is not a valid byte list"},
		{"extra string with quote inside", func(d *Document) { d.Extra = []Item{{ID: "BS_X.y", Value: `"a"b"`}} }, -1, "extra[0] BS_X.y", "double quote"},
		{"extra value beyond 32 bits", func(d *Document) { d.Extra = []Item{{ID: "BS_X.y", Value: "4294967296"}} }, -1, "extra[0] BS_X.y", "at most 32 bits"},
		{"extra twice", func(d *Document) { d.Extra = []Item{{ID: "BS_X.y[%]", Value: "1"}, {ID: "BS_X.y[0]", Value: "2"}} },
			-1, "extra[1] BS_X.y[0]", "addresses the same setting as extra[0] BS_X.y[%]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := exampleDocument()
			tc.mutate(d)
			_, err := Render(d, N720())
			if err == nil {
				t.Fatal("Render accepted the document")
			}
			fes := FieldErrors(err)
			if len(fes) != 1 {
				t.Fatalf("want exactly one FieldError, got %d: %v", len(fes), err)
			}
			fe := fes[0]
			if fe.Slot != tc.slot || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("got slot %d field %q msg %q\nwant slot %d field %q msg containing %q", fe.Slot, fe.Field, fe.Msg, tc.slot, tc.field, tc.msg)
			}
			if tc.slot >= 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("slot %d", tc.slot)) {
				t.Errorf("message %q does not start with the slot", err)
			}
		})
	}
}

func TestRenderReportsEveryProblem(t *testing.T) {
	d := exampleDocument()
	d.Slots[0].DisplayName = `"x"`
	d.Slots[2].IPUI = "nope"
	d.Registration.PIN = "1"
	_, err := Render(d, N720())
	got := []string{}
	for _, fe := range FieldErrors(err) {
		got = append(got, fmt.Sprintf("%d %s %s", fe.Slot, fe.Owner, fe.Field))
	}
	want := []string{"-1  registration.pin", "0 handset-1013 slot.displayName", "2 handset-1022 slot.ipui"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("FieldErrors = %q, want %q", got, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "registration.pin" {
		t.Errorf("errors.As found %v", fe)
	}
	if !strings.Contains(err.Error(), `slot 0 (handset handset-1013): slot.displayName: "\"x\"" contains a double quote`) {
		t.Errorf("message lacks the slot 0 problem: %v", err)
	}
}

func TestRenderShape(t *testing.T) {
	d := exampleDocument()
	d.Extra = []Item{{ID: "BS_IP_Data.ucB_DO_CHECK_FOR_PROFILE_UPDATES", Value: "1"}, {ID: "BS_X.aucToken[%]", Value: `"tok"`, Secret: true}}
	r := mustRender(t, d, N720())
	doc := string(r.Document)
	lines := strings.Split(doc, "\n")
	if lines[len(lines)-1] != "" {
		t.Fatal("document does not end with a newline")
	}
	lines = lines[:len(lines)-1]
	head := []string{
		`<?xml version="1.0" encoding="ISO-8859-1"?>`,
		`<ProviderFrame xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="N720_general.xsd">`,
		`  <Provider>`,
		`    <MAC_ADDRESS value="7C2F80CA21E4"/>`,
		`    <PROFILE_NAME class="string" value="office-1"/>`,
		`    <SYMB_ITEM ID="BS_VOIP_Data.astVoipProviders[0].aucSIP_PROVIDER_NAME[%]" class="symb_item" value='"Office PBX"'/>`,
	}
	for i, want := range head {
		if lines[i] != want {
			t.Errorf("line %d = %s\nwant %s", i+1, lines[i], want)
		}
	}
	if tail := lines[len(lines)-4:]; strings.Join(tail, "\n") != `    <SYMB_ITEM ID="BS_IP_Data.ucB_DO_CHECK_FOR_PROFILE_UPDATES" class="symb_item" value="1"/>
    <!-- secret item: BS_X.aucToken[%] -->
  </Provider>
</ProviderFrame>` {
		t.Errorf("document ends with\n%s", strings.Join(tail, "\n"))
	}
	if strings.Contains(doc, "\r") || strings.Contains(doc, "\t") {
		t.Error("document contains CR or tab")
	}
	// Every slot has its comment and its 9 public items; 4 (provider) ... checked by count.
	if n := strings.Count(doc, "<!-- slot "); n != NumSlots {
		t.Errorf("%d slot comments, want %d", n, NumSlots)
	}
	if n := strings.Count(doc, "<!-- slot 5: free -->\n"); n != 1 {
		t.Error("free slot 5 has no free comment")
	}
	free := []string{
		`ID="BS_VOIP_Data.astVoipAccounts[5].ucB_SIP_ACCOUNT_IS_ACTIVE_1" class="symb_item" value="0"/>`,
		`ID="BS_VOIP_Data.astVoipAccounts[5].aucS_SIP_USER_ID[0]" class="symb_item" value='""'/>`,
		`ID="BS_VOIP_Data.astVoipAccounts[5].ucVoipProviderIndex" class="symb_item" value="0"/>`,
		`ID="BS_CUSTOM.aucHandsetCode[5]" class="symb_item" value="0xFF,0xFF,0xFF,0xFF,0xFF"/>`,
	}
	for _, want := range free {
		if !strings.Contains(doc, want) {
			t.Errorf("free slot 5 lacks %s", want)
		}
	}
	creds := string(r.Credentials)
	if !strings.Contains(creds, `    <SYMB_ITEM ID="BS_VOIP_Data.astVoipAccounts[5].aucS_SIP_PASSWORD[0]" class="symb_item" value='""'/>`+"\n") {
		t.Error("credentials do not clear free slot 5's password")
	}
	if n := strings.Count(creds, "\n"); n != NumSlots+1 {
		t.Errorf("credentials have %d lines, want %d (100 passwords and the secret extra item)", n, NumSlots+1)
	}
	if !strings.HasSuffix(creds, `    <SYMB_ITEM ID="BS_X.aucToken[%]" class="symb_item" value='"tok"'/>`+"\n") {
		t.Error("credentials do not end with the secret extra item")
	}
}

func TestRenderOmitsAbsentGroups(t *testing.T) {
	d := baseDocument()
	r := mustRender(t, d, N720())
	for _, e := range N720().Entries() {
		switch specByParam[e.Param].group {
		case groupProvider, groupTime, groupDataServer, groupWebPassword:
			if bytes.Contains(r.Document, []byte(e.ID)) || bytes.Contains(r.Credentials, []byte(e.ID)) {
				t.Errorf("%s rendered without its group", e.ID)
			}
		case groupRegistration:
			if !bytes.Contains(r.Document, []byte(`ID="`+e.ID+`"`)) {
				t.Errorf("registration item %s missing", e.ID)
			}
		}
	}
	d.Time = &Time{TimezoneCode: 0x1B}
	r = mustRender(t, d, N720())
	for _, want := range []string{
		`ID="BS_IP_Data.aucS_TIME_NTP_SERVER[%]" class="symb_item" value='""'/>`,
		`ID="BS_IP_Data.ucB_TIME_USE_AUTOMATIC_NTP_SYN" class="symb_item" value="0"/>`,
		`ID="BS_IP_Data.uiI_TIME_TIMEZONE" class="symb_item" value="0x001B"/>`,
	} {
		if !bytes.Contains(r.Document, []byte(want)) {
			t.Errorf("time without NTP server lacks %s", want)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a := mustRender(t, fullDocument(), N720())
	for range 3 {
		b := mustRender(t, cloneDocument(fullDocument()), N720())
		if !bytes.Equal(a.Document, b.Document) || !bytes.Equal(a.Credentials, b.Credentials) {
			t.Fatal("two renders of one document differ")
		}
	}
}

// TestSecretHygiene: no secret reaches the public document or an error message.
func TestSecretHygiene(t *testing.T) {
	d := exampleDocument()
	secrets := []string{"Zq9-sip-alpha", "Zq9-sip-bravo", "Zq9-sip-charlie", "Zq9-web-admin", "Zq9-extra-token"}
	d.Slots[0].Password, d.Slots[1].Password, d.Slots[2].Password = secrets[0], secrets[1], secrets[2]
	d.WebPassword = secrets[3]
	d.Extra = []Item{{ID: "BS_X.aucToken[%]", Value: `"` + secrets[4] + `"`, Secret: true}}
	r := mustRender(t, d, N720())
	for _, s := range secrets {
		if bytes.Contains(r.Document, []byte(s)) {
			t.Errorf("public document contains secret %s", s)
		}
		if !bytes.Contains(r.Credentials, []byte(s)) {
			t.Errorf("credentials lack secret %s", s)
		}
	}
	for _, e := range N720().Entries() {
		if e.Secret && bytes.Contains(r.Document, []byte(strings.ReplaceAll(e.ID, "[{slot}]", "["))) {
			t.Errorf("public document contains an item of secret entry %s", e.Param)
		}
	}

	// Invalid secrets: the message names the field but never the value.
	for _, bad := range []string{`Zq9"quote`, "Zq9'apos", "Zq9\x01ctl", "Zq9€euro", "Zq9" + strings.Repeat("long", 70), "Zq9\xffutf"} {
		for name, mutate := range map[string]func(*Document){
			"slot password": func(d *Document) { d.Slots[1].Password = bad },
			"web password":  func(d *Document) { d.WebPassword = bad },
			"secret extra":  func(d *Document) { d.Extra[0].Value = `"` + bad + `"` },
		} {
			c := cloneDocument(d)
			mutate(c)
			_, err := Render(c, N720())
			if err == nil {
				t.Fatalf("%s %q accepted", name, bad)
			}
			if strings.Contains(err.Error(), "Zq9") {
				t.Errorf("%s: error repeats the secret: %v", name, err)
			}
		}
		if err := checkField("password", bad, 32, true); err == nil || strings.Contains(err.Error(), "Zq9") {
			t.Errorf("checkText(%q, secret) = %v", bad, err)
		}
	}

	// A malformed secret value in a document: Parse's message omits it too.
	full := Join(r.Document, r.Credentials)
	broken := bytes.Replace(full, []byte(`value='"Zq9-sip-bravo"'`), []byte(`value="Zq9-sip-bravo"`), 1)
	if _, err := Parse(broken, N720()); err == nil || strings.Contains(err.Error(), "Zq9") {
		t.Errorf("Parse error for a malformed password: %v", err)
	}
}

func TestJoin(t *testing.T) {
	doc := []byte("<ProviderFrame>\n  <Provider>\n    <A/>\n  </Provider>\n</ProviderFrame>\n")
	creds := []byte("    <S/>\n")
	want := "<ProviderFrame>\n  <Provider>\n    <A/>\n    <S/>\n  </Provider>\n</ProviderFrame>\n"
	if got := string(Join(doc, creds)); got != want {
		t.Errorf("Join = %q, want %q", got, want)
	}
	if got := string(Join(doc, []byte("    <S/>"))); got != want {
		t.Errorf("Join without final newline = %q", got)
	}
	if got := string(Join(doc, nil)); got != string(doc) {
		t.Errorf("Join with no credentials = %q", got)
	}
	inline := []byte("<ProviderFrame><Provider><A/></Provider></ProviderFrame>")
	if got := string(Join(inline, []byte("<S/>"))); got != "<ProviderFrame><Provider><A/><S/>\n</Provider></ProviderFrame>" {
		t.Errorf("Join into one line = %q", got)
	}
	if got := string(Join([]byte("<x/>"), creds)); got != "<x/>    <S/>\n" {
		t.Errorf("Join without </Provider> = %q", got)
	}
	// Join must not alias its input.
	out := Join(doc, nil)
	out[0] = 'X'
	if doc[0] != '<' {
		t.Error("Join returned its input slice")
	}
}

func TestRenderRefusesNil(t *testing.T) {
	if _, err := Render(nil, N720()); err == nil {
		t.Error("Render(nil) succeeded")
	}
	if _, err := Render(baseDocument(), nil); err == nil {
		t.Error("Render without a profile succeeded")
	}
}

func TestOwnerLabels(t *testing.T) {
	for _, tc := range []struct{ owner, label string }{
		{"", "free"},
		{"free", "%66ree"},
		{"alice", "alice"},
		{"a-b", "a-b"},
		{"a--b", "a-%2Db"},
		{"a---b", "a-%2D%2Db"},
		{"-", "-"},
		{"--", "-%2D"},
		{"x-", "x-"},
		{"freed", "freed"},
		{"a.b.c", "a.b.c"},
	} {
		if got := ownerLabel(tc.owner); got != tc.label {
			t.Errorf("ownerLabel(%q) = %q, want %q", tc.owner, got, tc.label)
		}
		if got, err := parseOwnerLabel(tc.label); err != nil || got != tc.owner {
			t.Errorf("parseOwnerLabel(%q) = %q, %v", tc.label, got, err)
		}
		d := baseDocument()
		if tc.owner != "" {
			d.Slots[3] = Slot{Owner: tc.owner}
		}
		r := mustRender(t, d, N720())
		if bytes.Contains(r.Document, []byte("<!-- slot 3: "+tc.label+" -->\n")) == false {
			t.Errorf("owner %q not rendered as %q", tc.owner, tc.label)
		}
		got, err := Parse(r.Document, N720())
		if err != nil || got.Slots[3].Owner != tc.owner {
			t.Errorf("owner %q parsed back as %v, %v", tc.owner, got, err)
		}
	}
	for _, bad := range []string{"a-%2db", "%2D", "a%", "a%2", "%41", "a%zzb", "a--b", "Alice", ""} {
		if o, err := parseOwnerLabel(bad); err == nil {
			t.Errorf("parseOwnerLabel(%q) = %q, want an error", bad, o)
		}
	}
}
