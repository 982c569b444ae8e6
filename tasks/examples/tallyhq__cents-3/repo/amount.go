// Package cents represents sums of money as an integer number of cents.
package cents

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Amount is a sum of money in cents; negative amounts are refunds and credits.
type Amount int64

var amountPattern = regexp.MustCompile(`^(-)?\$?(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d{2}))?$`)

// FromFloat converts a number of dollars, e.g. from a JSON document, to cents.
func FromFloat(dollars float64) Amount {
	return Amount(dollars * 100)
}

// Parse reads "1234.56", "$1,234.56" or "-12.30"; cents, when given, must have two digits.
func Parse(text string) (Amount, error) {
	match := amountPattern.FindStringSubmatch(strings.TrimSpace(text))
	if match == nil {
		return 0, fmt.Errorf("cents: %q is not an amount", text)
	}
	dollars, err := strconv.ParseInt(strings.ReplaceAll(match[2], ",", ""), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cents: %q: %w", text, err)
	}
	amount := Amount(dollars * 100)
	if match[3] != "" {
		fraction, _ := strconv.Atoi(match[3])
		amount += Amount(fraction)
	}
	if match[1] == "-" {
		amount = -amount
	}
	return amount, nil
}

// String formats the amount as "$1,234.56", with a leading minus sign for negative amounts.
func (a Amount) String() string {
	sign := ""
	magnitude := int64(a)
	if magnitude < 0 {
		sign, magnitude = "-", -magnitude
	}
	return fmt.Sprintf("%s$%s.%02d", sign, groupThousands(magnitude/100), magnitude%100)
}

// Split divides the amount into n shares that differ by at most one cent and add up to the amount.
func (a Amount) Split(n int) []Amount {
	if n < 1 {
		panic(fmt.Sprintf("cents: cannot split into %d shares", n))
	}
	share, remainder := a/Amount(n), a%Amount(n)
	shares := make([]Amount, n)
	for i := range shares {
		shares[i] = share
		if Amount(i) < remainder {
			shares[i]++
		} else if Amount(i) < -remainder {
			shares[i]--
		}
	}
	return shares
}

func groupThousands(n int64) string {
	digits := strconv.FormatInt(n, 10)
	var grouped strings.Builder
	for i, digit := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			grouped.WriteByte(',')
		}
		grouped.WriteRune(digit)
	}
	return grouped.String()
}
