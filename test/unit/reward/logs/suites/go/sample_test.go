package sample

import "testing"

func TestPasses(t *testing.T) {
	if 1+1 != 2 {
		t.Fatal("math")
	}
}

func TestFails(t *testing.T) {
	t.Errorf("expected %d, got %d", 3, 2)
}

func TestSkipped(t *testing.T) {
	t.Skip("not here")
}

func TestTable(t *testing.T) {
	cases := map[string]int{"one": 1, "two": 2, "three_bad": 4}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			if name == "three_bad" && want != 3 {
				t.Errorf("want 3")
			}
		})
	}
}
