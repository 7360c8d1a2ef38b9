package gigaset

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

// TestN720MatchesReference pins the default profile to docs/device.md: IDs verbatim
// (index suffixes exactly as listed), encodings, secret and confirmed flags.
func TestN720MatchesReference(t *testing.T) {
	want := []struct {
		param     Param
		id        string
		enc       Encoding
		confirmed bool
		secret    bool
	}{
		{ParamProviderName, "BS_VOIP_Data.astVoipProviders[0].aucSIP_PROVIDER_NAME[%]", EncodingString, true, false},
		{ParamProviderDomain, "BS_VOIP_Data.astVoipProviders[0].aucSIP_DOMAIN[%]", EncodingString, true, false},
		{ParamProviderServer, "BS_VOIP_Data.astVoipProviders[0].aucSIP_SERVER[%]", EncodingString, true, false},
		{ParamProviderServerPort, "BS_VOIP_Data.astVoipProviders[0].uiSIP_SERVER_PORT", EncodingHex16, true, false},
		{ParamProviderRegistrar, "BS_VOIP_Data.astVoipProviders[0].aucSIP_REGISTRAR[%]", EncodingString, true, false},
		{ParamProviderRegistrarPort, "BS_VOIP_Data.astVoipProviders[0].uiSIP_REGISTRAR_PORT", EncodingHex16, true, false},
		{ParamProviderOutboundProxy, "BS_VOIP_Data.astVoipProviders[0].aucOUTBOUND_PROXY[%]", EncodingString, true, false},
		{ParamProviderOutboundProxyPort, "BS_VOIP_Data.astVoipProviders[0].uiOUTBOUND_PROXY_PORT", EncodingHex16, true, false},
		{ParamProviderReRegistration, "BS_VOIP_Data.astVoipProviders[0].uiRE_REGISTRATION_TIMER", EncodingHex16, true, false},
		{ParamProviderTransport, "BS_VOIP_Data.astVoipProviders[0].ucSIP_PREFERRED_TRANSPORT_LAYER", EncodingInteger, false, false},
		{ParamTimeNTPServer, "BS_IP_Data.aucS_TIME_NTP_SERVER[%]", EncodingString, true, false},
		{ParamTimeAutomaticNTP, "BS_IP_Data.ucB_TIME_USE_AUTOMATIC_NTP_SYN", EncodingBoolean, true, false},
		{ParamTimeTimezoneCode, "BS_IP_Data.uiI_TIME_TIMEZONE", EncodingHex16, true, false},
		{ParamTimeAutomaticDST, "BS_IP_Data.ucB_TIME_USE_AUTOMATIC_DST", EncodingBoolean, true, false},
		{ParamDataServer, "BS_IP_Data.aucS_DATA_SERVER[%]", EncodingString, true, false},
		{ParamRegistrationRandomPIN, "BS_CUSTOM.bit.UseRandomRegistrationPIN", EncodingBoolean, true, false},
		{ParamRegistrationPIN, "BS_CUSTOM.aucKdsPin[%]", EncodingBCDPIN, false, false},
		{ParamRegistrationWindowStart, "BS_AE_Subscriber.acIPUIRegistrationTimestamp[0]", EncodingQuotedDecimal, false, false},
		{ParamRegistrationWindowSeconds, "BS_AE_Subscriber.ulIPUIRegistrationDuration", EncodingInteger, false, false},
		{ParamWebPassword, "BS_CUSTOM.WebUIPassword", EncodingString, true, true},
		{ParamSlotActive, "BS_VOIP_Data.astVoipAccounts[{slot}].ucB_SIP_ACCOUNT_IS_ACTIVE_1", EncodingBoolean, true, false},
		{ParamSlotUserID, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[0]", EncodingString, true, false},
		{ParamSlotLoginID, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_LOGIN_ID[0]", EncodingString, true, false},
		{ParamSlotPassword, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_PASSWORD[0]", EncodingString, true, true},
		{ParamSlotDisplayName, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_DISPLAYNAME[0]", EncodingString, true, false},
		{ParamSlotAccountName, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_ACCOUNT_NAME_1[0]", EncodingString, true, false},
		{ParamSlotProviderIndex, "BS_VOIP_Data.astVoipAccounts[{slot}].ucVoipProviderIndex", EncodingInteger, true, false},
		{ParamSlotMailboxEnabled, "BS_VOIP_Data.astVoipAccounts[{slot}].ucB_VOIP_NET_AM_ENABLED_1", EncodingBoolean, true, false},
		{ParamSlotMailboxNumber, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_VOIP_NET_AM_NUMBER_1[%]", EncodingString, true, false},
		{ParamSlotIPUI, "BS_CUSTOM.aucHandsetCode[{slot}]", EncodingIPUI, false, false},
	}
	got := N720().Entries()
	if len(got) != len(want) {
		t.Fatalf("N720 has %d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Param != w.param || g.ID != w.id || g.Encoding != w.enc || g.Confirmed != w.confirmed || g.Secret != w.secret {
			t.Errorf("entry %d = %+v\nwant param %s ID %s encoding %s confirmed %v secret %v", i, g, w.param, w.id, w.enc, w.confirmed, w.secret)
		}
		if !g.Confirmed && !strings.Contains(g.Note, "UNCONFIRMED") {
			t.Errorf("entry %s is unconfirmed but its note does not say what: %q", g.Param, g.Note)
		}
		if spec := specByParam[g.Param]; (spec.kind == kindText) != (g.MaxLen > 0) {
			t.Errorf("entry %s: MaxLen %d for a %s value", g.Param, g.MaxLen, spec.kind)
		}
	}
}

func TestProfileIsImmutable(t *testing.T) {
	p := N720()
	entries := p.Entries()
	entries[0].ID = "Changed.id"
	if p.Entries()[0].ID == "Changed.id" {
		t.Fatal("changing the slice from Entries changed the profile")
	}
	start, _ := p.Entry(ParamRegistrationWindowStart)
	start.Evidence[0] = "changed"
	start.Alternatives[0].Evidence[0] = "changed"
	if again, _ := p.Entry(ParamRegistrationWindowStart); again.Evidence[0] == "changed" || again.Alternatives[0].Evidence[0] == "changed" {
		t.Fatal("changing an entry's evidence changed the profile")
	}
	if _, err := p.WithOverrides([]Override{{Param: ParamSlotUserID, ID: "X.y[{slot}]"}}); err != nil {
		t.Fatal(err)
	}
	if e, _ := p.Entry(ParamSlotUserID); e.ID != "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[0]" {
		t.Fatalf("WithOverrides changed the original profile: %s", e.ID)
	}
}

func TestOverrideChangesRenderedID(t *testing.T) {
	p, err := N720().WithOverrides([]Override{
		{Param: ParamSlotIPUI, ID: "BS_HS.aucHandsetCode[{slot}]"},
		{Param: ParamDataServer, ID: "BS_IP_Data1.aucS_DATA_SERVER[0]", MaxLen: 100},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := exampleDocument()
	d.DataServer = "http://" + strings.Repeat("p", 80) // beyond the default limit of 74
	if _, err := Render(d, N720()); err == nil {
		t.Fatal("default profile accepted an 87-character data server")
	}
	r := mustRender(t, d, p)
	for _, want := range []string{
		`<SYMB_ITEM ID="BS_HS.aucHandsetCode[0]" class="symb_item" value="0x00,0xAB,0xC5,0x08,0x71"/>`,
		`<SYMB_ITEM ID="BS_HS.aucHandsetCode[99]" class="symb_item" value="0xFF,0xFF,0xFF,0xFF,0xFF"/>`,
		`<SYMB_ITEM ID="BS_IP_Data1.aucS_DATA_SERVER[0]" class="symb_item" value='"http://pppp`,
	} {
		if !bytes.Contains(r.Document, []byte(want)) {
			t.Errorf("rendered document lacks %s", want)
		}
	}
	if bytes.Contains(r.Document, []byte("BS_CUSTOM.aucHandsetCode")) {
		t.Error("rendered document still uses the default IPUI ID")
	}
	got, err := Parse(r.Document, p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffDocuments(withoutSecrets(d), got); diff != "" {
		t.Errorf("round trip with overridden profile:\n%s", diff)
	}
	// The same document read with the default profile: the overridden IDs are
	// unknown there, so the reservations are missing.
	if _, err := Parse(r.Document, N720()); err == nil || !strings.Contains(err.Error(), "slot.ipui") {
		t.Errorf("default profile parsed a document without its IPUI items: %v", err)
	}
}

// TestWindowEncodings renders the window items in every encoding the evidence leaves
// open, under the production IDs and under the IDs of the first release, and reads
// them back.
func TestWindowEncodings(t *testing.T) {
	const (
		startID    = `BS_AE_Subscriber.acIPUIRegistrationTimestamp[0]`
		durationID = `BS_AE_Subscriber.ulIPUIRegistrationDuration`
		oldStartID = `BS_CUSTOM.aucIPUIRegistrationTimestamp[%]`
		oldDurID   = `BS_CUSTOM.aucIPUIRegistrationDuration[%]`
	)
	for _, tc := range []struct {
		name               string
		overrides          []Override
		start              int64
		wantStart, wantDur string // the items as rendered
		readStart          int64  // what Parse gives back
	}{
		{"default", nil, 0x65A1B2C3,
			startID + `" class="symb_item" value='"1705095875"'/>`, durationID + `" class="symb_item" value="3600"/>`, 0x65A1B2C3},
		{"default, always open", nil, 0,
			startID + `" class="symb_item" value='"0"'/>`, durationID + `" class="symb_item" value="3600"/>`, 0},
		{"ddmmyyhhmm rounds up to the minute", []Override{{Param: ParamRegistrationWindowStart, Encoding: EncodingDDMMYYHHMM}}, 1767268801, // 2026-01-01 12:00:01 UTC
			startID + `" class="symb_item" value='"0101261201"'/>`, durationID + `" class="symb_item" value="3600"/>`, 1767268860},
		{"ddmmyyhhmm whole minute", []Override{{Param: ParamRegistrationWindowStart, Encoding: EncodingDDMMYYHHMM}}, 1767268800,
			startID + `" class="symb_item" value='"0101261200"'/>`, durationID + `" class="symb_item" value="3600"/>`, 1767268800},
		{"ddmmyyhhmm, always open", []Override{{Param: ParamRegistrationWindowStart, Encoding: EncodingDDMMYYHHMM}}, 0,
			startID + `" class="symb_item" value='"0101700000"'/>`, durationID + `" class="symb_item" value="3600"/>`, 0},
		{"duration as a quoted decimal", []Override{{Param: ParamRegistrationWindowSeconds, Encoding: EncodingQuotedDecimal}}, 7,
			startID + `" class="symb_item" value='"7"'/>`, durationID + `" class="symb_item" value='"3600"'/>`, 7},
		{"first release IDs", oldWindowOverrides(EncodingInteger), 0x65A1B2C3,
			oldStartID + `" class="symb_item" value="1705095875"/>`, oldDurID + `" class="symb_item" value="3600"/>`, 0x65A1B2C3},
		{"first release IDs, big-endian bytes", oldWindowOverrides(EncodingUint32BE), 0x65A1B2C3,
			oldStartID + `" class="symb_item" value="0x65,0xA1,0xB2,0xC3"/>`, oldDurID + `" class="symb_item" value="0x00,0x00,0x0E,0x10"/>`, 0x65A1B2C3},
		{"first release IDs, little-endian bytes", oldWindowOverrides(EncodingUint32LE), 0x65A1B2C3,
			oldStartID + `" class="symb_item" value="0xC3,0xB2,0xA1,0x65"/>`, oldDurID + `" class="symb_item" value="0x10,0x0E,0x00,0x00"/>`, 0x65A1B2C3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := N720().WithOverrides(tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			d := exampleDocument()
			d.Registration.WindowStart = tc.start
			d.Registration.WindowSeconds = 3600 // 0x00000E10
			r := mustRender(t, d, p)
			for _, want := range []string{`<SYMB_ITEM ID="` + tc.wantStart, `<SYMB_ITEM ID="` + tc.wantDur} {
				if !bytes.Contains(r.Document, []byte(want)) {
					t.Errorf("document lacks %s", want)
				}
			}
			got, err := Parse(Join(r.Document, r.Credentials), p)
			if err != nil {
				t.Fatal(err)
			}
			want := d.Registration
			want.WindowStart = tc.readStart
			if got.Registration != want {
				t.Errorf("registration read back: got %+v, want %+v", got.Registration, want)
			}
			again := mustRender(t, got, p)
			if !bytes.Equal(again.Document, r.Document) {
				t.Error("rendering the parsed document changes the bytes")
			}
		})
	}
}

func oldWindowOverrides(enc Encoding) []Override {
	return []Override{
		{Param: ParamRegistrationWindowStart, ID: "BS_CUSTOM.aucIPUIRegistrationTimestamp[%]", Encoding: enc},
		{Param: ParamRegistrationWindowSeconds, ID: "BS_CUSTOM.aucIPUIRegistrationDuration[%]", Encoding: enc},
	}
}

// TestDDMMYYHHMMRange: the encoding writes 1970..2068 in whole minutes; a start
// beyond it is a validation error naming the parameter, not wrong bytes.
func TestDDMMYYHHMMRange(t *testing.T) {
	p, err := N720().WithOverrides([]Override{{Param: ParamRegistrationWindowStart, Encoding: EncodingDDMMYYHHMM}})
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2068, 12, 31, 23, 59, 0, 0, time.UTC).Unix()
	for _, tc := range []struct {
		start int64
		ok    bool
	}{{0, true}, {last, true}, {last - 59, true}, {last + 1, false}, {0xFFFFFFFF, false}} {
		d := exampleDocument()
		d.Registration.WindowStart = tc.start
		_, err := Render(d, p)
		if (err == nil) != tc.ok {
			t.Errorf("start %d: Render error %v, want ok=%v", tc.start, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "registration.windowStart: time") {
			t.Errorf("start %d: error does not name the parameter: %v", tc.start, err)
		}
	}
	for _, bad := range []string{`"3201261200"`, `"0113261200"`, `"0101262400"`, `"010126120"`, `"0101261200 "`, `0101261200`} {
		doc := strings.Replace(exampleXML(t), `acIPUIRegistrationTimestamp[0]" class="symb_item" value='"0"'`,
			`acIPUIRegistrationTimestamp[0]" class="symb_item" value='`+bad+`'`, 1)
		if _, err := Parse([]byte(doc), p); err == nil || !strings.Contains(err.Error(), "does not decode as ddmmyyhhmm") {
			t.Errorf("Parse of start %s: %v", bad, err)
		}
	}
}

// TestEveryEntryHasEvidence: the profile's evidence is data, and every source it
// names exists; so does every alternative's, and every alternative is a valid
// override that renders and reads back.
func TestEveryEntryHasEvidence(t *testing.T) {
	known := map[string]bool{}
	for _, src := range Sources() {
		if src.ID == "" || src.Where == "" || src.Shows == "" || src.Kind == "" {
			t.Errorf("source %+v is incomplete", src)
		}
		known[src.ID] = true
	}
	check := func(what string, ev []string) {
		if len(ev) == 0 {
			t.Errorf("%s has no evidence", what)
		}
		for _, id := range ev {
			if !known[id] || id == SourceOverride {
				t.Errorf("%s cites %q, which is not a source of the default profile", what, id)
			}
		}
	}
	for _, e := range N720().Entries() {
		check(string(e.Param), e.Evidence)
		for i, alt := range e.Alternatives {
			what := fmt.Sprintf("%s alternative %d", e.Param, i)
			check(what, alt.Evidence)
			p, err := N720().WithOverrides([]Override{alt.Override(e.Param)})
			if err != nil {
				t.Errorf("%s: %v", what, err)
				continue
			}
			r := mustRender(t, exampleDocument(), p)
			if _, err := Parse(Join(r.Document, r.Credentials), p); err != nil {
				t.Errorf("%s: %v", what, err)
			}
			got, _ := p.Entry(e.Param)
			if got.Confirmed || !slices.Equal(got.Evidence, []string{SourceOverride}) {
				t.Errorf("%s: overridden entry is confirmed=%v with evidence %v; want unconfirmed, %s", what, got.Confirmed, got.Evidence, SourceOverride)
			}
		}
	}
	if e, _ := N720().Entry(ParamSlotUserID); !e.Confirmed {
		t.Error("an entry without overrides lost its confirmation")
	}
}

func TestOverrideRejectsEveryEntryProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    []Override
		want string
	}{
		{"IPUI as a number", []Override{{Param: ParamSlotIPUI, Encoding: EncodingInteger}}, "entry slot.ipui: encoding \"integer\""},
		{"port as bytes", []Override{{Param: ParamProviderServerPort, Encoding: EncodingUint32BE}}, "entry provider.serverPort: encoding \"uint32be\""},
		{"flag as hex16", []Override{{Param: ParamSlotActive, Encoding: EncodingHex16}}, "entry slot.active: encoding \"hex16\""},
		{"window as hex16", []Override{{Param: ParamRegistrationWindowStart, Encoding: EncodingHex16}}, "entry registration.windowStart: encoding \"hex16\""},
		{"{slot} twice", []Override{{Param: ParamSlotIPUI, ID: "A.b[{slot}].c[{slot}]"}}, "entry slot.ipui: ID \"A.b[{slot}].c[{slot}]\" must contain the index {slot} exactly once (it has 2)"},
		{"leading zero index", []Override{{Param: ParamWebPassword, ID: "BS_CUSTOM.x[01]"}}, "entry webPassword: ID \"BS_CUSTOM.x[01]\": index [01]: leading zero"},
		{"space in ID", []Override{{Param: ParamWebPassword, ID: "BS_CUSTOM.Web UIPassword"}}, "entry webPassword: ID \"BS_CUSTOM.Web UIPassword\": character 14 \" \" is not allowed here"},
		{"unclosed bracket", []Override{{Param: ParamDataServer, ID: "BS_IP_Data.aucS_DATA_SERVER[%"}}, "entry dataServer: ID \"BS_IP_Data.aucS_DATA_SERVER[%\": character 28: [ is not closed"},
		{"max length too large", []Override{{Param: ParamSlotUserID, MaxLen: 256}}, "entry slot.userID: maximum length 256 is outside 1..255"},
		{"base entry onto a slot entry", []Override{{Param: ParamDataServer, ID: "BS_VOIP_Data.astVoipAccounts[5].aucS_SIP_USER_ID[0]"}},
			"entries dataServer and slot.userID both address BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[0]"},
		{"case variant of another entry", []Override{{Param: ParamDataServer, ID: "bs_custom.webuipassword"}},
			"entries dataServer and webPassword both address BS_CUSTOM.WebUIPassword"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := N720().WithOverrides(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTransportTable(t *testing.T) {
	p := N720()
	for name, want := range map[string]int{"UDP": 17, "TCP": 6} {
		if got, ok := p.Transport(name); !ok || got != want {
			t.Errorf("Transport(%s) = %d, %v; want %d", name, got, ok, want)
		}
	}
	for _, name := range []string{"TLS", "udp", ""} {
		if _, ok := p.Transport(name); ok {
			t.Errorf("Transport(%q) is known", name)
		}
	}
	tls, err := p.WithTransport("TLS", 22)
	if err != nil {
		t.Fatal(err)
	}
	d := exampleDocument()
	d.Provider.Transport = "TLS"
	if _, err := Render(d, p); err == nil || !strings.Contains(err.Error(), `unknown transport "TLS"; the profile knows TCP, UDP`) {
		t.Errorf("default profile rendered TLS: %v", err)
	}
	r := mustRender(t, d, tls)
	if !bytes.Contains(r.Document, []byte(`ucSIP_PREFERRED_TRANSPORT_LAYER" class="symb_item" value="22"/>`)) {
		t.Error("TLS not rendered as 22")
	}
	if got, err := Parse(r.Document, tls); err != nil || got.Provider.Transport != "TLS" {
		t.Errorf("Parse: transport %v, %v", got, err)
	}
	if _, err := p.WithTransport("SCTP", 17); err == nil || err.Error() != "transport SCTP: value 17 is already used by UDP" {
		t.Errorf("duplicate value: %v", err)
	}
	if _, err := p.WithTransport("T L S", 22); err == nil {
		t.Error("accepted a transport name with spaces")
	}
	if _, err := p.WithTransport("TLS", 256); err == nil {
		t.Error("accepted a transport value beyond one byte")
	}
}

// TestDeviceDocNamesEveryEntry keeps docs/device.md, the people's copy of the profile,
// in step with the table: every parameter, its ID (account and provider members after
// the prefix the page states once), every alternative and every source.
func TestDeviceDocNamesEveryEntry(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "device.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	has := func(what, s string) {
		if !strings.Contains(doc, "`"+s+"`") {
			t.Errorf("docs/device.md does not name %s `%s`", what, s)
		}
	}
	for _, prefix := range []string{"BS_VOIP_Data.astVoipAccounts[i].", "BS_VOIP_Data.astVoipProviders[0]."} {
		has("the prefix", prefix)
	}
	for _, e := range N720().Entries() {
		has("the parameter", string(e.Param))
		has("the encoding", string(e.Encoding))
		id := e.ID
		for _, prefix := range []string{"BS_VOIP_Data.astVoipAccounts[{slot}].", "BS_VOIP_Data.astVoipProviders[0]."} {
			id = strings.TrimPrefix(id, prefix)
		}
		has("the ID of "+string(e.Param), id)
		for _, alt := range e.Alternatives {
			if alt.ID != "" {
				has("an alternative of "+string(e.Param), alt.ID)
			}
			has("an alternative encoding of "+string(e.Param), string(alt.Encoding))
		}
	}
	for _, src := range Sources() {
		has("the source", src.ID)
	}
}
