package semverkit

import (
	"sort"
	"strings"
)

// Compare returns -1, 0 or 1 as a has lower, equal or higher precedence than b.
// Build metadata does not count.
func Compare(a, b Version) int {
	if c := compareUint(a.Major, b.Major); c != 0 {
		return c
	}
	if c := compareUint(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := compareUint(a.Patch, b.Patch); c != 0 {
		return c
	}
	return comparePrerelease(a.Prerelease, b.Prerelease)
}

// Less reports whether a has lower precedence than b.
func Less(a, b Version) bool {
	return Compare(a, b) < 0
}

// Sort orders versions from the lowest to the highest precedence, keeping equal ones in order.
func Sort(versions []Version) {
	sort.SliceStable(versions, func(i, j int) bool { return Less(versions[i], versions[j]) })
}

func comparePrerelease(a, b []string) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1 // a release is higher than any of its pre-releases
	case len(b) == 0:
		return -1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return compareUint(uint64(len(a)), uint64(len(b)))
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
