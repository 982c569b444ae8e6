package cents

import "testing"

func TestPercentOfWholeAmount(t *testing.T) {
	if got := Amount(2000).Percent(10); got != 200 {
		t.Errorf("Percent = %d, want 200", got)
	}
}

func TestPercentOfRefund(t *testing.T) {
	if got := Amount(-1000).Percent(10); got != -100 {
		t.Errorf("Percent of a refund = %d, want -100", got)
	}
}

func TestWithTaxOnWholeAmount(t *testing.T) {
	if got := Amount(1000).WithTax(20); got != 1200 {
		t.Errorf("WithTax = %d, want 1200", got)
	}
}
