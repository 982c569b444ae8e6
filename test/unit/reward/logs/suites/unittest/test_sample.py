import unittest


class ArithmeticTests(unittest.TestCase):
    def test_passes(self):
        self.assertEqual(1 + 1, 2)

    def test_fails(self):
        self.assertEqual(1 + 1, 3)

    def test_errors(self):
        raise ValueError("boom")

    @unittest.skip("not today")
    def test_skipped(self):
        pass

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    def test_with_docstring(self):
        """A sitemap index renders without items."""
        self.assertTrue(True)

    def test_prints_output(self):
        print("noise on stdout")
        self.assertTrue(True)


if __name__ == "__main__":
    unittest.main()
