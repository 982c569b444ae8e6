// Package semverkit parses, compares and sorts Semantic Versioning 2.0.0 versions.
package semverkit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is a parsed semantic version.
type Version struct {
	Major, Minor, Patch uint64
	// Prerelease holds the dot-separated pre-release identifiers, e.g. ["rc", "2"]; nil for a release.
	Prerelease []string
	// Build is the build metadata after "+", without the "+".
	Build string
}

var versionPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$`)

var identifierPattern = regexp.MustCompile(`^[0-9A-Za-z-]+$`)

// Parse reads a version such as "1.4.0-rc.2+build.7". A leading "v" is accepted.
func Parse(text string) (Version, error) {
	match := versionPattern.FindStringSubmatch(strings.TrimPrefix(text, "v"))
	if match == nil {
		return Version{}, fmt.Errorf("semverkit: %q is not a semantic version", text)
	}
	var version Version
	var err error
	for i, field := range []*uint64{&version.Major, &version.Minor, &version.Patch} {
		if *field, err = strconv.ParseUint(match[i+1], 10, 64); err != nil {
			return Version{}, fmt.Errorf("semverkit: %q: %w", text, err)
		}
	}
	if match[4] != "" {
		version.Prerelease = strings.Split(match[4], ".")
		for _, identifier := range version.Prerelease {
			if !identifierPattern.MatchString(identifier) {
				return Version{}, fmt.Errorf("semverkit: %q: empty pre-release identifier", text)
			}
			if isNumeric(identifier) && len(identifier) > 1 && identifier[0] == '0' {
				return Version{}, fmt.Errorf("semverkit: %q: numeric identifier %q has a leading zero", text, identifier)
			}
		}
	}
	version.Build = match[5]
	return version, nil
}

// MustParse is Parse for versions known to be valid; it panics on an invalid one.
func MustParse(text string) Version {
	version, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return version
}

func (v Version) String() string {
	text := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Prerelease) > 0 {
		text += "-" + strings.Join(v.Prerelease, ".")
	}
	if v.Build != "" {
		text += "+" + v.Build
	}
	return text
}

func isNumeric(identifier string) bool {
	for _, r := range identifier {
		if r < '0' || r > '9' {
			return false
		}
	}
	return identifier != ""
}
