describe('math', () => {
  test('adds', () => {
    expect(1 + 1).toBe(2);
  });
  test('fails on purpose', () => {
    expect(1 + 1).toBe(3);
  });
  describe('nested', () => {
    test.skip('skipped one', () => {});
    test('multiplies', () => {
      expect(2 * 3).toBe(6);
    });
  });
});
test('top level', () => {
  expect(true).toBe(true);
});
test.todo('write this');
