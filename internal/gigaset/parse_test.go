package gigaset

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// exampleXML is the joined file of exampleDocument, as text for the mutations below.
func exampleXML(t testing.TB) string {
	r := mustRender(t, exampleDocument(), N720())
	return string(Join(r.Document, r.Credentials))
}

func replaceOnce(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture lacks %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestParseRejectsMalformedDocuments(t *testing.T) {
	const minimal = `<?xml version="1.0" encoding="ISO-8859-1"?>` + "\n<ProviderFrame>\n  <Provider>\n%s  </Provider>\n</ProviderFrame>\n"
	const mac = `<MAC_ADDRESS value="7C2F80CA21E4"/>` + "\n"
	const userID0 = `<SYMB_ITEM ID="BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_USER_ID[0]" class="symb_item" value='"1013"'/>`
	many := &strings.Builder{}
	for i := range MaxItems + 1 {
		fmt.Fprintf(many, `<SYMB_ITEM ID="BS_X.a[%d]" class="symb_item" value="1"/>`+"\n", i)
	}
	tests := []struct {
		name string
		doc  func(x string) string // gets the example file
		want string
	}{
		{"empty", func(string) string { return "" }, "no root element; expected <ProviderFrame>"},
		{"not XML", func(string) string { return "hello" }, `unexpected text "hello"`},
		{"truncated", func(x string) string { return x[:len(x)/2] }, "malformed XML: XML syntax error"},
		{"wrong root", func(string) string { return "<provisioning><nvm/></provisioning>" }, "line 1: root element is <provisioning>; expected <ProviderFrame>"},
		{"DOCTYPE", func(x string) string {
			return replaceOnce(t, x, "<ProviderFrame", `<!DOCTYPE x [<!ENTITY a "b">]><ProviderFrame`)
		}, "directives such as <!DOCTYPE> are not allowed"},
		{"second root", func(x string) string { return x + "<ProviderFrame/>" }, "element <ProviderFrame> after </ProviderFrame>; a document has one root element"},
		{"second Provider", func(x string) string { return replaceOnce(t, x, "</ProviderFrame>", "<Provider/></ProviderFrame>") }, "unexpected element <Provider> after </Provider>"},
		{"processing instruction", func(x string) string { return replaceOnce(t, x, "  <Provider>", "<?php echo 1 ?>  <Provider>") }, `unexpected processing instruction <?"php"?>`},
		{"unsupported encoding", func(x string) string { return replaceOnce(t, x, "ISO-8859-1", "UTF-16") }, `encoding "UTF-16" is not supported; expected ISO-8859-1 or UTF-8`},
		{"missing MAC", func(x string) string { return replaceOnce(t, x, `<MAC_ADDRESS value="7C2F80CA21E4"/>`, "") }, "missing <MAC_ADDRESS>"},
		{"lower-case MAC", func(x string) string { return replaceOnce(t, x, "7C2F80CA21E4", "7c2f80ca21e4") }, `line 4: MAC_ADDRESS "7c2f80ca21e4": expected 12 upper-case hex digits without separators`},
		{"two MACs", func(x string) string { return replaceOnce(t, x, "<PROFILE_NAME", mac+"<PROFILE_NAME") }, "line 5: second <MAC_ADDRESS> (the first is on line 4)"},
		{"VERSION element", func(x string) string {
			return replaceOnce(t, x, "<PROFILE_NAME", `<VERSION value="0101261200"/><PROFILE_NAME`)
		}, "unexpected element <VERSION> in <Provider>; expected MAC_ADDRESS, PROFILE_NAME, S_SPECIAL_DATA_SRV_IWU, S_SPECIAL_DATA_SRV_SAT or SYMB_ITEM"},
		{"namespaced item", func(x string) string { return replaceOnce(t, x, "<MAC_ADDRESS", `<xsi:SYMB_ITEM/><MAC_ADDRESS`) }, "unexpected element <http://www.w3.org/2001/XMLSchema-instance:SYMB_ITEM> in <Provider>"},
		{"text in Provider", func(x string) string { return replaceOnce(t, x, "<MAC_ADDRESS", "oops<MAC_ADDRESS") }, `line 4: unexpected text "oops`},
		{"child in item", func(x string) string {
			return replaceOnce(t, x, `value="7C2F80CA21E4"/>`, `value="7C2F80CA21E4"><x/></MAC_ADDRESS>`)
		}, "element <x> inside an item; items are empty elements"},
		{"item without value", func(string) string {
			return fmt.Sprintf(minimal, mac+`<SYMB_ITEM ID="BS_X.y" class="symb_item"/>`+"\n")
		}, "line 5: <SYMB_ITEM> lacks the attribute value"},
		{"item with wrong class", func(x string) string {
			return replaceOnce(t, x, `aucS_SIP_USER_ID[0]" class="symb_item"`, `aucS_SIP_USER_ID[0]" class="string"`)
		}, `class is "string"; expected "symb_item"`},
		{"item with extra attribute", func(x string) string { return replaceOnce(t, x, `class="symb_item"`, `class="symb_item" type="x"`) }, `<SYMB_ITEM> has the unexpected attribute "type"; expected ID, class, value`},
		{"item attribute twice", func(string) string {
			return fmt.Sprintf(minimal, mac+`<SYMB_ITEM ID="a" ID="b" class="symb_item" value="1"/>`+"\n")
		}, "attribute ID twice"},
		{"malformed item ID", func(x string) string {
			return replaceOnce(t, x, "BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_USER_ID[0]", "BS_VOIP_Data.astVoipAccounts[00].aucS_SIP_USER_ID[0]")
		}, "index [00]: leading zero"},
		{"string without quotes", func(x string) string {
			return replaceOnce(t, x, userID0, strings.Replace(userID0, `'"1013"'`, `"1013"`, 1))
		},
			`SYMB_ITEM BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_USER_ID[0], slot.userID (slot 0): "1013" does not decode as string: expected a string in double quotes`},
		{"string with quote inside", func(x string) string { return replaceOnce(t, x, `'"1013"'`, `'"10"13"'`) }, "contains a double quote"},
		{"string with control character reference", func(x string) string { return replaceOnce(t, x, `'"1013"'`, `'"10&#9;13"'`) }, "control character U+0009"},
		{"boolean 2", func(x string) string {
			return replaceOnce(t, x, `IS_ACTIVE_1" class="symb_item" value="1"`, `IS_ACTIVE_1" class="symb_item" value="2"`)
		}, "slot.active (slot 0): value 2 is outside 0..1"},
		{"boolean as word", func(x string) string {
			return replaceOnce(t, x, `IS_ACTIVE_1" class="symb_item" value="1"`, `IS_ACTIVE_1" class="symb_item" value="true"`)
		}, `"true" does not decode as boolean: expected a decimal or 0x hex number`},
		{"IPUI of 4 bytes", func(x string) string { return replaceOnce(t, x, "0x00,0xAB,0xC5,0x08,0x71", "0x00,0xAB,0xC5,0x08") }, "does not decode as ipui: expected a list of 5 bytes"},
		{"IPUI with spaces", func(x string) string {
			return replaceOnce(t, x, "0x00,0xAB,0xC5,0x08,0x71", "0x00, 0xAB, 0xC5, 0x08, 0x71")
		}, "does not decode as ipui"},
		{"PIN not BCD", func(x string) string {
			return replaceOnce(t, x, `aucKdsPin[%]" class="symb_item" value="0x00,0x01"`, `aucKdsPin[%]" class="symb_item" value="0x0A,0x01"`)
		}, "does not decode as bcdPIN: expected 2 BCD bytes"},
		{"port 0", func(x string) string {
			return replaceOnce(t, x, `uiSIP_SERVER_PORT" class="symb_item" value="0x13C4"`, `uiSIP_SERVER_PORT" class="symb_item" value="0"`)
		}, "provider.serverPort: value 0 is outside 1..65535"},
		{"number beyond 32 bits", func(x string) string {
			return replaceOnce(t, x, `ulIPUIRegistrationDuration" class="symb_item" value="0"`, `ulIPUIRegistrationDuration" class="symb_item" value="99999999999"`)
		}, "does not decode as integer"},
		{"window start unquoted", func(x string) string {
			return replaceOnce(t, x, `acIPUIRegistrationTimestamp[0]" class="symb_item" value='"0"'`, `acIPUIRegistrationTimestamp[0]" class="symb_item" value="0"`)
		}, `"0" does not decode as quotedDecimal: expected a decimal number in double quotes`},
		{"window start in hex", func(x string) string {
			return replaceOnce(t, x, `acIPUIRegistrationTimestamp[0]" class="symb_item" value='"0"'`, `acIPUIRegistrationTimestamp[0]" class="symb_item" value='"0x10"'`)
		}, "does not decode as quotedDecimal"},
		{"window start beyond 32 bits", func(x string) string {
			return replaceOnce(t, x, `acIPUIRegistrationTimestamp[0]" class="symb_item" value='"0"'`, `acIPUIRegistrationTimestamp[0]" class="symb_item" value='"4294967296"'`)
		}, "does not decode as quotedDecimal"},
		{"slot index 100", func(x string) string {
			return replaceOnce(t, x, "astVoipAccounts[0].aucS_SIP_USER_ID[0]", "astVoipAccounts[100].aucS_SIP_USER_ID[0]")
		}, "slot index 100 is outside 0..99 (parameter slot.userID)"},
		{"IPUI slot index 250", func(x string) string {
			return replaceOnce(t, x, "BS_CUSTOM.aucHandsetCode[7]", "BS_CUSTOM.aucHandsetCode[250]")
		}, "slot index 250 is outside 0..99 (parameter slot.ipui)"},
		{"wildcard over all accounts", func(x string) string {
			return replaceOnce(t, x, "astVoipAccounts[0].aucS_SIP_USER_ID[0]", "astVoipAccounts[%].aucS_SIP_USER_ID[0]")
		}, "addresses the modelled parameter slot.userID"},
		{"item twice", func(x string) string { return replaceOnce(t, x, userID0, userID0+"\n"+userID0) }, "sets slot.userID (slot 0) again (also line"},
		{"item twice in two spellings", func(x string) string {
			return replaceOnce(t, x, userID0, userID0+"\n"+strings.Replace(userID0, "USER_ID[0]", "USER_ID[%]", 1))
		}, "sets slot.userID (slot 0) again"},
		{"slot item missing", func(x string) string {
			return replaceOnce(t, x, `<SYMB_ITEM ID="BS_VOIP_Data.astVoipAccounts[42].ucVoipProviderIndex" class="symb_item" value="0"/>`, "")
		},
			"1 modelled items are missing, first slot 42 slot.providerIndex (BS_VOIP_Data.astVoipAccounts[42].ucVoipProviderIndex)"},
		{"registration item missing", func(x string) string {
			return replaceOnce(t, x, `<SYMB_ITEM ID="BS_CUSTOM.bit.UseRandomRegistrationPIN" class="symb_item" value="0"/>`, "")
		},
			"first registration.randomPIN (BS_CUSTOM.bit.UseRandomRegistrationPIN)"},
		{"provider block incomplete", func(x string) string {
			return replaceOnce(t, x, `<SYMB_ITEM ID="BS_VOIP_Data.astVoipProviders[0].aucSIP_DOMAIN[%]" class="symb_item" value='"pbx.example.com"'/>`, "")
		},
			"first provider.domain (BS_VOIP_Data.astVoipProviders[0].aucSIP_DOMAIN[%])"},
		{"time block incomplete", func(string) string {
			return strings.Replace(exampleXML(t), "  </Provider>", `<SYMB_ITEM ID="BS_IP_Data.uiI_TIME_TIMEZONE" class="symb_item" value="0x1B"/>`+"\n  </Provider>", 1)
		}, "first time.ntpServer"},
		{"automatic NTP disagrees", func(x string) string {
			r := mustRender(t, &Document{MAC: "7C2F80CA21E4", Registration: Registration{PIN: "0000"}, Time: &Time{}}, N720())
			return replaceOnce(t, string(r.Document), `NTP_SYN" class="symb_item" value="0"`, `NTP_SYN" class="symb_item" value="1"`)
		}, "time.automaticNTP is 1, which disagrees with the rest of the document (expected 0)"},
		{"provider index 1", func(x string) string {
			return replaceOnce(t, x, `astVoipAccounts[3].ucVoipProviderIndex" class="symb_item" value="0"`, `astVoipAccounts[3].ucVoipProviderIndex" class="symb_item" value="1"`)
		},
			"slot.providerIndex (slot 3): value 1: only provider 0 is modelled, expected 0"},
		{"unknown transport value", func(x string) string {
			return replaceOnce(t, x, `LAYER" class="symb_item" value="17"`, `LAYER" class="symb_item" value="99"`)
		},
			"transport value 99 is not in the profile's transport table (TCP, UDP)"},
		{"slot comment malformed", func(x string) string { return replaceOnce(t, x, "<!-- slot 3: free -->", "<!-- slot 3 free -->") }, `slot comment "slot 3 free": expected "slot N: OWNER" or "slot N: free"`},
		{"slot comment with spaces in owner", func(x string) string { return replaceOnce(t, x, "<!-- slot 3: free -->", "<!-- slot 3: a b -->") }, "expected \"slot N: OWNER\""},
		{"slot comment out of range", func(x string) string { return replaceOnce(t, x, "<!-- slot 3: free -->", "<!-- slot 100: free -->") }, "slot index 100 is outside 0..99"},
		{"slot comment twice", func(x string) string { return replaceOnce(t, x, "<!-- slot 3: free -->", "<!-- slot 0: x -->") }, "second comment for slot 0"},
		{"slot comment bad owner", func(x string) string {
			return replaceOnce(t, x, "<!-- slot 0: handset-1013 -->", "<!-- slot 0: Handset_1013 -->")
		}, "slot comment for slot 0: owner \"Handset_1013\": character 1 is not allowed"},
		{"slot comment owner not canonical", func(x string) string {
			return replaceOnce(t, x, "<!-- slot 0: handset-1013 -->", "<!-- slot 0: handset%2D1013 -->")
		}, `owner label "handset%2D1013" is not in canonical form "handset-1013"`},
		{"owner comment missing", func(x string) string { return replaceOnce(t, x, "<!-- slot 0: handset-1013 -->", "") }, "document is not valid: slot 0: slot.owner: the slot has settings but no owner"},
		{"secret comment names a modelled item", func(x string) string {
			return replaceOnce(t, x, "  </Provider>", "<!-- secret item: BS_CUSTOM.WebUIPassword -->\n  </Provider>")
		}, "secret item comment names BS_CUSTOM.WebUIPassword, a modelled parameter"},
		{"secret comment malformed ID", func(x string) string {
			return replaceOnce(t, x, "  </Provider>", "<!-- secret item: a..b -->\n  </Provider>")
		}, `secret item comment: ID "a..b"`},
		{"extra item twice", func(x string) string {
			it := `<SYMB_ITEM ID="BS_X.y" class="symb_item" value="1"/>` + "\n"
			return replaceOnce(t, x, "  </Provider>", it+it+"  </Provider>")
		}, "SYMB_ITEM BS_X.y appears twice"},
		{"extra item invalid value", func(x string) string {
			return replaceOnce(t, x, "  </Provider>", `<SYMB_ITEM ID="BS_X.y" class="symb_item" value="yes"/>`+"\n  </Provider>")
		}, `document is not valid: extra[0] BS_X.y: "yes": expected a quoted string`},
		{"too many items", func(string) string { return fmt.Sprintf(minimal, mac+many.String()) }, "more than 4096 SYMB_ITEMs"},
		{"too large", func(string) string { return strings.Repeat(" ", MaxDocumentSize+1) }, "document is 4194305 bytes; at most 4194304 are read"},
	}
	x := exampleXML(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc(x)), N720())
			if err == nil {
				t.Fatalf("Parse accepted the document; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n  got  %v\n  want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestParseAcceptsOtherSpellings: Gigaset's own files use other, equivalent
// notations; they must read as the same model.
func TestParseAcceptsOtherSpellings(t *testing.T) {
	x := exampleXML(t)
	for _, r := range [][2]string{
		{"astVoipAccounts[0].aucS_VOIP_NET_AM_NUMBER_1[%]", "astVoipAccounts[0].aucS_VOIP_NET_AM_NUMBER_1"}, // as on Gigaset's page
		{"astVoipAccounts[1].aucS_SIP_USER_ID[0]", "astVoipAccounts[1].aucS_SIP_USER_ID[%]"},
		{"BS_CUSTOM.aucKdsPin[%]", "BS_CUSTOM.aucKdsPin[0]"},
		{`uiSIP_SERVER_PORT" class="symb_item" value="0x13C4"`, `uiSIP_SERVER_PORT" class="symb_item" value="5060"`},
		{`uiSIP_REGISTRAR_PORT" class="symb_item" value="0x13C4"`, `uiSIP_REGISTRAR_PORT" class="symb_item" value="0x13c4"`},
		{`uiRE_REGISTRATION_TIMER" class="symb_item" value="0x00B4"`, `uiRE_REGISTRATION_TIMER" class="symb_item" value="0xb4"`},
		{`LAYER" class="symb_item" value="17"`, `LAYER" class="symb_item" value="0x11"`},
		{`astVoipAccounts[0].ucB_SIP_ACCOUNT_IS_ACTIVE_1" class="symb_item" value="1"`, `astVoipAccounts[0].ucB_SIP_ACCOUNT_IS_ACTIVE_1" class="symb_item" value="0x1"`},
		{"0x00,0xAB,0xC5,0x08,0x71", "0x0,0xab,0xc5,0x8,0x71"},
		{`aucS_SIP_DISPLAYNAME[0]" class="symb_item" value='"N720_1013"'`, `aucS_SIP_DISPLAYNAME[0]" class="symb_item" value="&quot;N720_&#49;013&quot;"`},
		{`<SYMB_ITEM ID="BS_CUSTOM.bit.UseRandomRegistrationPIN" class="symb_item" value="0"/>`, `<SYMB_ITEM value = '0' class='symb_item'  ID="BS_CUSTOM.bit.UseRandomRegistrationPIN"></SYMB_ITEM>`},
		{"<!-- slot 5: free -->", "<!-- a note from a person --><!-- slot 5: free -->"},
	} {
		x = replaceOnce(t, x, r[0], r[1])
	}
	x = strings.ReplaceAll(x, "\n    ", "\r\n\t")
	got, err := Parse([]byte(x), N720())
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffDocuments(exampleDocument(), got); diff != "" {
		t.Errorf("other spellings read differently:\n%s", diff)
	}
}

func TestParseReadsUTF8(t *testing.T) {
	d := exampleDocument()
	d.Slots[0].DisplayName = "Jürgen Müller"
	r := mustRender(t, d, N720())
	utf := []byte(string(latin1ToRunes(r.Document)))
	for _, doc := range [][]byte{
		bytes.Replace(utf, []byte(`encoding="ISO-8859-1"`), []byte(`encoding="UTF-8"`), 1),
		bytes.Replace(utf, []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), nil, 1),
	} {
		got, err := Parse(doc, N720())
		if err != nil {
			t.Fatal(err)
		}
		if got.Slots[0].DisplayName != "Jürgen Müller" {
			t.Errorf("display name %q", got.Slots[0].DisplayName)
		}
	}
	// A Latin-1 file that declares UTF-8 is not valid UTF-8: refused, not misread.
	bad := bytes.Replace(r.Document, []byte(`encoding="ISO-8859-1"`), []byte(`encoding="UTF-8"`), 1)
	if _, err := Parse(bad, N720()); err == nil {
		t.Error("Latin-1 bytes declared as UTF-8 were accepted")
	}
}

func latin1ToRunes(b []byte) []rune {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return r
}

// TestParsePublicPartAlone: the ConfigMap's document alone gives the model without
// secrets, and secret extra items keep their place when the file is joined.
func TestParsePublicPartAlone(t *testing.T) {
	d := fullDocument()
	d.Extra = []Item{
		{ID: "BS_A.x", Value: "1"},
		{ID: "BS_A.token[%]", Value: `"t0k&n"`, Secret: true},
		{ID: "BS_A.y", Value: "0x01,0x02"},
		{ID: "BS_A.key", Value: "0xDEADBEEF", Secret: true},
		{ID: "BS_A.z", Value: `"Grüße <&>"`},
	}
	r := mustRender(t, d, N720())
	got, err := Parse(r.Document, N720())
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffDocuments(withoutSecrets(d), got); diff != "" {
		t.Errorf("public part:\n%s", diff)
	}
	got, err = Parse(Join(r.Document, r.Credentials), N720())
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffDocuments(d, got); diff != "" {
		t.Errorf("joined file:\n%s", diff)
	}
	// An unmarked item in the credentials part is an ordinary extra item.
	unmarked := Join(r.Document, append(bytes.Clone(r.Credentials), `    <SYMB_ITEM ID="BS_A.w" class="symb_item" value="7"/>`+"\n"...))
	got, err = Parse(unmarked, N720())
	if err != nil {
		t.Fatal(err)
	}
	if last := got.Extra[len(got.Extra)-1]; last != (Item{ID: "BS_A.w", Value: "7"}) {
		t.Errorf("unmarked item parsed as %+v", last)
	}
}

func TestParseRefusesNilProfile(t *testing.T) {
	if _, err := Parse([]byte(exampleXML(t)), nil); err == nil {
		t.Error("Parse without a profile succeeded")
	}
}

// TestLargestDocumentWithinParseLimits: every slot, the maximum number of extra
// items, every string at its limit and made of '&' (which escaping makes 5 bytes):
// Render must never produce a file that Parse refuses for its size or item count.
func TestLargestDocumentWithinParseLimits(t *testing.T) {
	d := fullDocument()
	amp := func(n int) string { return strings.Repeat("&", n) }
	d.ProfileName = amp(maxProfileName)
	d.WebPassword = amp(lenName)
	for i := range d.Slots {
		s := &d.Slots[i]
		s.Owner = fmt.Sprintf("%s-%03d", strings.Repeat("o", maxOwnerLen-4), i)
		s.UserID, s.LoginID, s.Password, s.DisplayName, s.AccountName, s.MailboxNumber =
			amp(lenName), amp(lenName), amp(lenName), amp(lenName), amp(lenName), amp(lenName)
	}
	bytes256 := make([]byte, maxExtraBytes)
	d.Extra = nil
	for i := range MaxExtraItems {
		it := Item{ID: fmt.Sprintf("BS_%s.x%04d[%%]", strings.Repeat("L", maxIDLen-16), i), Secret: i%2 == 0}
		if i%3 == 0 {
			it.Value = string(appendByteList(nil, bytes256...))
		} else {
			it.Value = `"` + amp(maxExtraText) + `"`
		}
		d.Extra = append(d.Extra, it)
	}
	r := mustRender(t, d, N720())
	full := Join(r.Document, r.Credentials)
	t.Logf("largest document: %d bytes (limit %d)", len(full), MaxDocumentSize)
	if len(full) > MaxDocumentSize {
		t.Fatalf("Render produced %d bytes, beyond Parse's limit of %d", len(full), MaxDocumentSize)
	}
	got, err := Parse(full, N720())
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffDocuments(d, got); diff != "" {
		t.Errorf("largest document does not round-trip:\n%s", diff)
	}
	d.Extra = append(d.Extra, Item{ID: "BS_X.one_more", Value: "1"})
	if _, err := Render(d, N720()); err == nil || !strings.Contains(err.Error(), "2049 extra items; at most 2048") {
		t.Errorf("Render accepted more than MaxExtraItems: %v", err)
	}
}

// TestParseValidationErrorsAreFieldErrors: a controller attributes a stored
// document's problem to its slot through FieldErrors, for Parse as for Render.
func TestParseValidationErrorsAreFieldErrors(t *testing.T) {
	x := replaceOnce(t, exampleXML(t), "<!-- slot 2: handset-1022 -->", "")
	_, err := Parse([]byte(x), N720())
	fes := FieldErrors(err)
	if len(fes) != 1 || fes[0].Slot != 2 || fes[0].Field != "slot.owner" {
		t.Fatalf("FieldErrors(%v) = %+v; want one for slot 2, slot.owner", err, fes)
	}
	if e, ok := N720().Entry(ParamSlotIPUI); !ok || e.ID != "BS_CUSTOM.aucHandsetCode[{slot}]" {
		t.Errorf("Entry(slot.ipui) = %+v, %v", e, ok)
	}
	if _, ok := N720().Entry("slot.nickname"); ok {
		t.Error("Entry of an unknown parameter found")
	}
}
