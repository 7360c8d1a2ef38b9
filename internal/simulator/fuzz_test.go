package simulator

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/fakeclock"
)

// FuzzParseFile feeds arbitrary bytes to the parser and to a device: neither may panic
// or hang, and what they report must be consistent.
func FuzzParseFile(f *testing.F) {
	seeds := [][]byte{
		readTestdata(f, "gigaset-example.xml"),
		doc(concat(account(0, "1013", "Jürgen"), freedSlot(1), window(t0, time.Hour), []string{reserve(0, ipuiA)})...),
		doc(concat(firstReleaseWindow(t0, time.Hour), window(t0, 0), []string{item("BS_AE_Subscriber.aucHandsetCode[%]", "0xFF,0xFF,0xFF,0xFF,0xFF")})...),
		doc(item("BS_X.a", `"M&#252;ller &amp; &#8364;"`), item("BS_X.b", "0x01,0x02"), `<VERSION value="1"/>`),
		doc(iwu("http://fw.example/einsteiniwu117_70.bin?mac=1&amp;x.bin"), `<S_SPECIAL_DATA_SRV_SAT class="string" value=""/>`),
		docFor("001122334455"),
		doc(`<SYMB_ITEM ID="a[%" class="symb_item" value="0x"/>`),
		[]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><ProviderFrame><Provider><MAC_ADDRESS value="7C2F80CA21E4"/>`),
		[]byte("<?xml encoding='ISO-8859-1'?><!DOCTYPE x><ProviderFrame/>"),
		{},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, parseErr := ParseFile(data, testMAC)
		if file == nil {
			t.Fatal("nil File")
		}
		if err := parseErr; err != nil {
			var ferr *FileError
			if !errors.As(err, &ferr) || ferr.Reason == "" || len(ferr.Problems) == 0 {
				t.Fatalf("error %v is not a FileError with a reason and problems", err)
			}
		} else {
			if !strings.EqualFold(file.MAC, testMAC) {
				t.Fatalf("accepted a file for MAC %q", file.MAC)
			}
			for _, it := range file.Items {
				if checkID(it.ID) != nil || !isLatin1(it.Value) {
					t.Fatalf("accepted item %+v", it)
				}
				if _, err := parseValue(it.Value); err != nil {
					t.Fatalf("accepted item %+v: %v", it, err)
				}
			}
		}

		d, err := New(Config{MAC: testMAC, MACID: testMACID, Clock: fakeclock.New(t0)})
		if err != nil {
			t.Fatal(err)
		}
		res := d.ApplyFile(data)
		if res.Applied == res.Ignored || (parseErr != nil && res.Applied) {
			t.Fatalf("ApplyFile: applied=%v ignored=%v after ParseFile error %v", res.Applied, res.Ignored, parseErr)
		}
		_ = d.Summary()
	})
}
