package cents

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	cases := map[string]Amount{"19.99": 1999, "$1,234.56": 123456, "-12.30": -1230, "7": 700, "0.05": 5}
	for text, want := range cases {
		got, err := Parse(text)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", text, got, err, want)
		}
	}
}

func TestParseRejectsMalformedAmounts(t *testing.T) {
	for _, text := range []string{"", "1.5", "1.999", "12,34.00", "$", "abc"} {
		if _, err := Parse(text); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", text)
		}
	}
}

func TestString(t *testing.T) {
	cases := map[Amount]string{0: "$0.00", 5: "$0.05", 1999: "$19.99", 123456789: "$1,234,567.89"}
	for amount, want := range cases {
		if got := amount.String(); got != want {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(amount), got, want)
		}
	}
}

func TestStringNegative(t *testing.T) {
	if got := Amount(-5).String(); got != "-$0.05" {
		t.Fatalf("Amount(-5).String() = %q, want -$0.05", got)
	}
	if got := Amount(-123456).String(); got != "-$1,234.56" {
		t.Fatalf("Amount(-123456).String() = %q, want -$1,234.56", got)
	}
}

func TestFromFloatWholeDollars(t *testing.T) {
	if got := FromFloat(3); got != 300 {
		t.Errorf("FromFloat(3) = %d, want 300", got)
	}
	if got := FromFloat(-3); got != -300 {
		t.Errorf("FromFloat(-3) = %d, want -300", got)
	}
}

func TestSplit(t *testing.T) {
	if got := Amount(1000).Split(3); !reflect.DeepEqual(got, []Amount{334, 333, 333}) {
		t.Errorf("Split(3) = %v", got)
	}
	if got := Amount(-1000).Split(3); !reflect.DeepEqual(got, []Amount{-334, -333, -333}) {
		t.Errorf("Split(3) of a refund = %v", got)
	}
}
