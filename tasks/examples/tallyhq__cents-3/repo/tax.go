package cents

// Percent returns rate percent of the amount, e.g. the sales tax on a price.
func (a Amount) Percent(rate float64) Amount {
	return Amount(float64(a) * rate / 100)
}

// WithTax returns the amount plus rate percent of tax.
func (a Amount) WithTax(rate float64) Amount {
	return a + a.Percent(rate)
}
