package simulator

import (
	"errors"
	"github.com/emiago/sipgo/sip"
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

// FuzzAnswerNotify feeds arbitrary datagrams through the SIP library's parser and the
// device's NOTIFY rules: no panic, and only the answers the rules name.
func FuzzAnswerNotify(f *testing.F) {
	for _, s := range []string{
		"NOTIFY sip:1013@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:1013@b>\r\nCall-ID: x\r\nCSeq: 1 NOTIFY\r\nEvent: check-sync\r\nContent-Length: 0\r\n\r\n",
		"NOTIFY sip:1013@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>\r\nTo: <sip:1013@b>;tag=9\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nEvent: presence;id=1\r\n\r\n",
		"NOTIFY sip:h SIP/2.0\r\nEvent:\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		code, reason, _ := AnswerNotify(req, func(u string) bool { return u == "1013" })
		switch code {
		case 200, 400, 404, 481, 489:
		default:
			t.Fatalf("answer %d %s", code, reason)
		}
		if code == 200 && req.Recipient.User != "1013" {
			t.Fatalf("200 for user %q", req.Recipient.User)
		}
	})
}
