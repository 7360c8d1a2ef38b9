package gigaset

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// baseDocument is a valid document with no slot in use.
func baseDocument() *Document {
	return &Document{
		MAC:          "7C2F80CA21E4",
		ProfileName:  "office-1",
		Registration: Registration{PIN: "0000"},
	}
}

// exampleProvider is a typical PBX block.
func exampleProvider() *Provider {
	return &Provider{
		Name: "Office PBX", Domain: "pbx.example.com", Server: "pbx.example.com", ServerPort: 5060,
		Registrar: "pbx.example.com", RegistrarPort: 5060, OutboundProxy: "", OutboundProxyPort: 5060,
		ReRegistrationSeconds: 180, Transport: "UDP",
	}
}

// gigasetSlot is an account as in Gigaset's IPUI example page.
func gigasetSlot(owner, account, ipui string) Slot {
	return Slot{
		Owner: owner, Active: true,
		UserID: account, LoginID: account, Password: "Password",
		DisplayName: "N720_" + account, AccountName: account,
		MailboxEnabled: true, MailboxNumber: "*2", IPUI: ipui,
	}
}

// exampleDocument is Gigaset's example: accounts 1013, 1014 and 1022 in slots 0..2.
func exampleDocument() *Document {
	d := baseDocument()
	d.Provider = exampleProvider()
	d.Registration.PIN = "0001"
	d.Slots[0] = gigasetSlot("handset-1013", "1013", "00ABC50871")
	d.Slots[1] = gigasetSlot("handset-1014", "1014", "00ABB84A08")
	d.Slots[2] = gigasetSlot("handset-1022", "1022", "00ABC61F3E")
	return d
}

// fullDocument uses every slot, with time, data server, web password and extras.
func fullDocument() *Document {
	d := baseDocument()
	d.Provider = exampleProvider()
	d.Time = &Time{NTPServer: "pool.ntp.org", TimezoneCode: 0x1B, AutomaticDST: true}
	d.DataServer = "http://prov.example.com:8080"
	d.WebPassword = "admin-Secret-1"
	d.Registration = Registration{PIN: "4711", WindowStart: 1767225600, WindowSeconds: 3600}
	for i := range d.Slots {
		account := fmt.Sprint(2000 + i)
		d.Slots[i] = Slot{
			Owner: fmt.Sprintf("handset-%03d", i), Active: i%10 != 9,
			UserID: account, LoginID: "auth" + account, Password: fmt.Sprintf("pw-%03d-Xy!", i),
			DisplayName: fmt.Sprintf("Phone %03d", i), AccountName: account,
			MailboxEnabled: i%2 == 0, MailboxNumber: "*2", IPUI: fmt.Sprintf("00AB%06X", 0x100000+i*7919),
		}
	}
	d.Extra = []Item{
		{ID: "BS_IP_Data.ucB_DO_CHECK_FOR_PROFILE_UPDATES", Value: "1"},
		{ID: "BS_VOIP_Data.astVoipProviders[0].ucOUTBOUND_PROXY_MODE", Value: "0x1"},
	}
	return d
}

func mustRender(t testing.TB, d *Document, p *Profile) Rendered {
	t.Helper()
	r, err := Render(d, p)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return r
}

// withoutSecrets is what parsing the public document alone gives back.
func withoutSecrets(d *Document) *Document {
	c := cloneDocument(d)
	c.WebPassword = ""
	for i := range c.Slots {
		c.Slots[i].Password = ""
	}
	var extra []Item
	for _, it := range c.Extra {
		if !it.Secret {
			extra = append(extra, it)
		}
	}
	c.Extra = extra
	return c
}

func cloneDocument(d *Document) *Document {
	c := *d
	if d.Provider != nil {
		p := *d.Provider
		c.Provider = &p
	}
	if d.Time != nil {
		t := *d.Time
		c.Time = &t
	}
	if d.Extra != nil {
		c.Extra = append([]Item(nil), d.Extra...)
	}
	return &c
}

// diffDocuments describes the differences between two documents, field by field,
// or returns "" when they are deeply equal.
func diffDocuments(want, got *Document) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	var b strings.Builder
	cmp := func(name string, w, g any) {
		if !reflect.DeepEqual(w, g) {
			fmt.Fprintf(&b, "%s:\n  want %#v\n  got  %#v\n", name, w, g)
		}
	}
	cmp("MAC", want.MAC, got.MAC)
	cmp("ProfileName", want.ProfileName, got.ProfileName)
	cmp("Provider", want.Provider, got.Provider)
	cmp("Time", want.Time, got.Time)
	cmp("DataServer", want.DataServer, got.DataServer)
	cmp("Registration", want.Registration, got.Registration)
	cmp("WebPassword", want.WebPassword, got.WebPassword)
	for i := range want.Slots {
		cmp(fmt.Sprintf("Slots[%d]", i), want.Slots[i], got.Slots[i])
	}
	cmp("Extra", want.Extra, got.Extra)
	return b.String()
}

// checkField is checkText with the field name in front, as validation reports it.
func checkField(field, s string, max int, secret bool) error {
	if msg := checkText(s, max, secret); msg != "" {
		return fmt.Errorf("%s: %s", field, msg)
	}
	return nil
}
