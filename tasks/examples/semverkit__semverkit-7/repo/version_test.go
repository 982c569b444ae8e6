package semverkit

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	got, err := Parse("1.4.0-rc.2+build.7")
	if err != nil {
		t.Fatal(err)
	}
	want := Version{Major: 1, Minor: 4, Patch: 0, Prerelease: []string{"rc", "2"}, Build: "build.7"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse = %#v, want %#v", got, want)
	}
}

func TestParseAcceptsLeadingV(t *testing.T) {
	if got := MustParse("v2.0.1"); got.Major != 2 || got.Patch != 1 {
		t.Fatalf("MustParse(v2.0.1) = %v", got)
	}
}

func TestParseRejectsInvalidVersions(t *testing.T) {
	for _, text := range []string{"", "1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-rc..1", "1.2.3-01", "1.2.3+", "x.y.z"} {
		if _, err := Parse(text); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", text)
		}
	}
}

func TestStringRoundTrips(t *testing.T) {
	for _, text := range []string{"0.0.1", "1.4.0-rc.2", "1.4.0-rc.2+build.7", "3.0.0+20240101"} {
		if got := MustParse(text).String(); got != text {
			t.Errorf("String() = %q, want %q", got, text)
		}
	}
}
