package semverkit

import "testing"

func assertOrdered(t *testing.T, lower, higher string) {
	t.Helper()
	a, b := MustParse(lower), MustParse(higher)
	if got := Compare(a, b); got != -1 {
		t.Errorf("Compare(%s, %s) = %d, want -1", lower, higher, got)
	}
	if got := Compare(b, a); got != 1 {
		t.Errorf("Compare(%s, %s) = %d, want 1", higher, lower, got)
	}
}

func TestCompareCoreNumbersNumerically(t *testing.T) {
	assertOrdered(t, "1.2.3", "1.10.0")
	assertOrdered(t, "1.9.9", "2.0.0")
	assertOrdered(t, "0.1.9", "0.1.10")
}

func TestReleaseIsHigherThanPrerelease(t *testing.T) {
	assertOrdered(t, "1.0.0-alpha", "1.0.0")
	assertOrdered(t, "1.0.0-rc.1", "1.0.0")
}

func TestLongerPrereleaseIsHigher(t *testing.T) {
	assertOrdered(t, "1.0.0-alpha", "1.0.0-alpha.1")
}

func TestAlphanumericIdentifiersCompareLexically(t *testing.T) {
	assertOrdered(t, "1.0.0-alpha", "1.0.0-beta")
	assertOrdered(t, "1.0.0-beta", "1.0.0-rc")
}

func TestBuildMetadataIsIgnored(t *testing.T) {
	if got := Compare(MustParse("1.0.0+a"), MustParse("1.0.0+b")); got != 0 {
		t.Fatalf("Compare = %d, want 0", got)
	}
}

func TestSortReleases(t *testing.T) {
	versions := []Version{MustParse("2.0.0"), MustParse("1.10.0"), MustParse("1.2.0"), MustParse("1.10.0-beta")}
	Sort(versions)
	want := []string{"1.2.0", "1.10.0-beta", "1.10.0", "2.0.0"}
	for i, version := range versions {
		if version.String() != want[i] {
			t.Fatalf("Sort = %v, want %v", versions, want)
		}
	}
}
