package macpolicy

import (
	"strings"
	"testing"
)

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // List.String()
		err  string // a part of the error, "" for none
	}{
		{"", "", ""},
		{" , \n", "", ""},
		{"7C:2F:80:CA:21:E4", "7C2F80CA21E4", ""},
		{"7c-2f-80-ca-21-e4, 7C2F.80CA.21E5", "7C2F80CA21E4,7C2F80CA21E5", ""},
		{"7C2F80*", "7C2F80*", ""},
		{"7C:2F:80:*", "7C2F80*", ""},
		{"7c-2f-8*", "7C2F8*", ""},
		{"7C2F80000*", "7C2F80000*", ""},
		{"*", "*", ""},
		{"7C2F80CA21E4\n7C2F81*\n", "7C2F80CA21E4,7C2F81*", ""},
		{"7C2F80*, 7c2f80*, 7C:2F:80:*", "7C2F80*", ""},
		// A MAC missing a digit is not read as a prefix.
		{"7C2F80CA21E", "", `entry 1 "7C2F80CA21E": neither a MAC`},
		{"7C2F80CA21E4*", "", "at most 11 hex digits"},
		{"7C2F8G*", "", "character 6 is not a hex digit"},
		{"7C::2F*", "", "a separator must follow a hex digit"},
		{":7C*", "", "a separator must follow a hex digit"},
		{"7C*2F", "", "neither a MAC"},
		{"7C2F80/24", "", "neither a MAC"},
		// What parses is kept, so that it stays reserved.
		{"7C2F80CA21E4, oops, 7C2F81*", "7C2F80CA21E4,7C2F81*", `entry 2 "oops"`},
		{"a,b,c,d,e", "", "; and 2 more"},
		{strings.Repeat("x", 100), "", `"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"...`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			l, err := ParseList(tc.in)
			if got := l.String(); got != tc.want {
				t.Errorf("ParseList(%q) = %q, want %q", tc.in, got, tc.want)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("ParseList(%q): %v", tc.in, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("ParseList(%q) error %v, want one containing %q", tc.in, err, tc.err)
			}
		})
	}
}

func TestMatchIsTheLongestEntry(t *testing.T) {
	l, err := ParseList("7C*, 7C2F80*, 7C2F80CA21E4, 00*")
	if err != nil {
		t.Fatal(err)
	}
	for mac, want := range map[string]int{
		"7C2F80CA21E4": 12,
		"7C2F80CA21E5": 6,
		"7C2F81000000": 2,
		"001122334455": 2,
		"AA2F80CA21E4": -1,
	} {
		if got := l.Match(mac); got != want {
			t.Errorf("Match(%s) = %d, want %d", mac, got, want)
		}
	}
	all, _ := ParseList("*")
	if got := all.Match("AA2F80CA21E4"); got != 0 {
		t.Errorf("* matches with %d, want 0", got)
	}
	if got := (List{}).Match("7C2F80CA21E4"); got != -1 {
		t.Errorf("the empty list matches with %d, want -1", got)
	}
}
