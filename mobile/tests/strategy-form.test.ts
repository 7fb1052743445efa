import { EMPTY_FORM, normaliseTime, splitServerErrors, toStrategyInput, validateStrategy, type StrategyForm } from '@/lib/strategy-form';

const valid: StrategyForm = {
  ...EMPTY_FORM,
  name: 'TCS morning',
  symbol: 'tcs',
  quantity: '5',
  buy_time: '9:20',
  sell_time: '15:10:30',
  stop_loss: '3400',
  broker_account: 3,
};

describe('strategy form checks (mirroring the API)', () => {
  test('a valid form has no errors and becomes the API body', () => {
    expect(validateStrategy(valid)).toEqual({});
    expect(toStrategyInput(valid)).toEqual({
      name: 'TCS morning',
      symbol: 'TCS',
      exchange: 'NSE',
      quantity: 5,
      buy_time: '09:20:00',
      sell_time: '15:10:30',
      stop_loss: '3400.00',
      product: 'MIS',
      broker_account: 3,
      days: [0, 1, 2, 3, 4, 5, 6],
    });
  });

  test('an empty form names every required field like DRF does', () => {
    const errors = validateStrategy({ ...EMPTY_FORM, days: [] });
    expect(errors).toEqual({
      name: ['This field is required.'],
      symbol: ['This field is required.'],
      quantity: ['This field is required.'],
      buy_time: ['This field is required.'],
      sell_time: ['This field is required.'],
      stop_loss: ['This field is required.'],
      broker_account: ['This field is required.'],
      days: ['Pick at least one weekday.'],
    });
  });

  test.each([
    [{ quantity: '0' }, 'quantity', 'Must be at least 1.'],
    [{ quantity: '2.5' }, 'quantity', 'A valid integer is required.'],
    [{ quantity: '100001' }, 'quantity', 'At most 100000.'],
    [{ stop_loss: '0' }, 'stop_loss', 'Must be greater than 0.'],
    [{ stop_loss: '3400.123' }, 'stop_loss', 'Ensure that there are no more than 2 decimal places.'],
    [{ stop_loss: 'abc' }, 'stop_loss', 'A valid number is required.'],
    [{ sell_time: '09:20' }, 'sell_time', 'Must be after buy_time.'],
    [{ buy_time: '25:00' }, 'buy_time', 'Time has wrong format. Use one of these formats instead: hh:mm:ss, hh:mm.'],
    [{ name: 'x'.repeat(81) }, 'name', 'Ensure this field has no more than 80 characters.'],
  ])('%j -> %s: %s', (change, field, message) => {
    expect(validateStrategy({ ...valid, ...change })[field]).toEqual([message]);
  });

  test('times accept hh:mm and hh:mm:ss', () => {
    expect(normaliseTime('9:05')).toBe('09:05:00');
    expect(normaliseTime('09:05:07')).toBe('09:05:07');
    expect(normaliseTime('9.05')).toBeNull();
  });

  test('server errors map onto the form fields; the rest is a form-level message', () => {
    expect(splitServerErrors({ symbol: ['Unknown symbol.'], 'days.0': ['Bad day.'], non_field_errors: ['Nope.'] })).toEqual({
      fields: { symbol: ['Unknown symbol.'], days: ['Bad day.'] },
      other: ['Nope.'],
    });
  });
});
