import { act, fireEvent, renderRouter, screen, waitFor, within } from 'expo-router/testing-library';

import type { ApiClient } from '@/lib/api';

import { FakeBackend, FakeSocket } from '../fake-backend';

const mockClient: { current: ApiClient | null } = { current: null };
jest.mock('@/lib/client', () => ({
  get api() {
    return mockClient.current;
  },
}));

let backend: FakeBackend;
beforeEach(async () => {
  FakeSocket.instances = [];
  backend = new FakeBackend();
  mockClient.current = backend.client();
  await backend.signIn(mockClient.current);
});

function fill(field: string, value: string) {
  fireEvent.changeText(screen.getByTestId(`field-${field}`), value);
}

describe('strategy list', () => {
  test('lists strategies with their status and opens one', async () => {
    backend.addAccount();
    const s = backend.addStrategy({ name: 'Infy scalp', symbol: 'INFY', status: 'RUNNING' });
    const app = renderRouter('./app', { initialUrl: '/strategies' });

    const row = await screen.findByTestId(`strategy-${s.id}`);
    expect(within(row).getByText('Infy scalp')).toBeTruthy();
    expect(within(row).getByText('RUNNING')).toBeTruthy();
    fireEvent.press(row);
    expect(await screen.findByTestId('strategy-detail')).toBeTruthy();
    expect(app.getPathname()).toBe(`/strategies/${s.id}`);
  });

  test('pull to refresh loads new strategies', async () => {
    backend.addAccount();
    renderRouter('./app', { initialUrl: '/strategies' });
    expect(await screen.findByText('No strategies yet')).toBeTruthy();

    const added = backend.addStrategy({ name: 'Added elsewhere' });
    const list = screen.getByTestId('strategy-list');
    await act(async () => {
      await list.props.refreshControl.props.onRefresh();
    });
    expect(await screen.findByTestId(`strategy-${added.id}`)).toBeTruthy();
  });

  test('offline: a clear offline state with retry, then the data once back', async () => {
    backend.offline = true;
    renderRouter('./app', { initialUrl: '/strategies' });
    expect(await screen.findByTestId('offline-state')).toHaveTextContent(/You are offline/);

    backend.offline = false;
    backend.addStrategy({ name: 'Back online' });
    fireEvent.press(screen.getByTestId('retry'));
    expect(await screen.findByText('Back online')).toBeTruthy();
  });

  test('offline after a load keeps the list and says so', async () => {
    backend.addStrategy({ name: 'Cached one' });
    renderRouter('./app', { initialUrl: '/strategies' });
    expect(await screen.findByText('Cached one')).toBeTruthy();

    backend.offline = true;
    await act(async () => {
      await screen.getByTestId('strategy-list').props.refreshControl.props.onRefresh();
    });
    expect(screen.getByTestId('offline-notice')).toBeTruthy();
    expect(screen.getByText('Cached one')).toBeTruthy();
  });

  test('a strategy event from the WebSocket updates the status in the list', async () => {
    const s = backend.addStrategy({ status: 'RUNNING' });
    renderRouter('./app', { initialUrl: '/strategies' });
    const row = await screen.findByTestId(`strategy-${s.id}`);
    await waitFor(() => expect(FakeSocket.last?.readyState).toBe(1));

    act(() => FakeSocket.last!.emit({ type: 'strategy', id: s.id, status: 'ERROR', reason: 'Broker login expired' }));
    expect(within(row).getByText('ERROR')).toBeTruthy();
  });
});

describe('strategy creator', () => {
  test('without a broker account it sends the trader to broker setup', async () => {
    renderRouter('./app', { initialUrl: '/strategies/new' });
    expect(await screen.findByTestId('no-broker')).toBeTruthy();
  });

  test('checks the fields like the API does, before sending anything', async () => {
    backend.addAccount();
    renderRouter('./app', { initialUrl: '/strategies/new' });
    fireEvent.press(await screen.findByTestId('create-strategy'));

    expect(screen.getByTestId('field-name-error')).toHaveTextContent('This field is required.');
    expect(screen.getByTestId('field-quantity-error')).toHaveTextContent('This field is required.');
    expect(screen.getByTestId('form-error')).toHaveTextContent('Please fix the highlighted fields.');

    fill('name', 'TCS morning');
    fill('symbol', 'TCS');
    fill('quantity', '0');
    fill('buy_time', '15:00');
    fill('sell_time', '09:30');
    fill('stop_loss', '3400.123');
    fireEvent.press(screen.getByTestId('day-0'));
    fireEvent.press(screen.getByTestId('create-strategy'));

    expect(screen.getByTestId('field-quantity-error')).toHaveTextContent('Must be at least 1.');
    expect(screen.getByTestId('field-sell_time-error')).toHaveTextContent('Must be after buy_time.');
    expect(screen.getByTestId('field-stop_loss-error')).toHaveTextContent('Ensure that there are no more than 2 decimal places.');
    expect(screen.queryByTestId('field-name-error')).toBeNull();
    expect(backend.calls.some((c) => c.path === '/strategy/create')).toBe(false);
  });

  test('shows the server field errors on the same inputs', async () => {
    backend.addAccount();
    renderRouter('./app', { initialUrl: '/strategies/new' });
    await screen.findByTestId('field-name');
    fill('name', 'Typo');
    fill('symbol', 'TCSS');
    fill('quantity', '5');
    fill('buy_time', '09:20');
    fill('sell_time', '15:10');
    fill('stop_loss', '3400');
    fireEvent.press(screen.getByTestId('create-strategy'));

    expect(await screen.findByTestId('field-symbol-error')).toHaveTextContent("Unknown symbol 'TCSS' on NSE.");
    expect(screen.getByTestId('form-error')).toHaveTextContent('Invalid strategy: symbol.');
  });

  test('creates the strategy with the API body and opens it', async () => {
    const account = backend.addAccount();
    const app = renderRouter('./app', { initialUrl: '/strategies/new' });
    await screen.findByTestId('field-name');
    fill('name', 'TCS morning');
    fill('symbol', 'tcs');
    fill('quantity', '5');
    fill('buy_time', '9:20');
    fill('sell_time', '15:10:30');
    fill('stop_loss', '3400');
    fireEvent.press(screen.getByTestId('product-CNC'));
    fireEvent.press(screen.getByTestId('day-5'));
    fireEvent.press(screen.getByTestId('day-6'));
    fireEvent.press(screen.getByTestId('create-strategy'));

    expect(await screen.findByTestId('strategy-detail')).toBeTruthy();
    const create = backend.calls.find((c) => c.path === '/strategy/create');
    expect(create?.body).toEqual({
      name: 'TCS morning',
      symbol: 'TCS',
      exchange: 'NSE',
      quantity: 5,
      buy_time: '09:20:00',
      sell_time: '15:10:30',
      stop_loss: '3400.00',
      product: 'CNC',
      broker_account: account.id,
      days: [0, 1, 2, 3, 4],
    });
    expect(app.getPathname()).toBe(`/strategies/${backend.strategies[0].id}`);
  });
});

describe('strategy detail', () => {
  test('start and stop', async () => {
    const s = backend.addStrategy();
    renderRouter('./app', { initialUrl: `/strategies/${s.id}` });
    expect(await screen.findByTestId('strategy-status')).toHaveTextContent('STOPPED');

    fireEvent.press(screen.getByTestId('start-strategy'));
    await waitFor(() => expect(screen.getByTestId('strategy-status')).toHaveTextContent('RUNNING'));
    fireEvent.press(screen.getByTestId('stop-strategy'));
    await waitFor(() => expect(screen.getByTestId('strategy-status')).toHaveTextContent('STOPPED'));
  });

  test('live: an order event turns the position LONG with the fill, a price tick shows the last price', async () => {
    const s = backend.addStrategy({ status: 'RUNNING' });
    renderRouter('./app', { initialUrl: `/strategies/${s.id}` });
    expect(await screen.findByTestId('position')).toHaveTextContent('FLAT');
    await waitFor(() => expect(screen.getByTestId('live-state')).toHaveTextContent(/Live/));
    expect(FakeSocket.last!.url).toMatch(/\/ws\/updates\?token=/);

    const order = { type: 'order', strategy_id: s.id, id: 91, tag: 'AT91', side: 'BUY', leg: 'ENTRY', reason: 'SCHEDULED', quantity: 5, trading_day: '2026-11-25' };
    act(() => FakeSocket.last!.emit({ ...order, status: 'SUBMITTING', price: null }));
    expect(screen.getByTestId('position')).toHaveTextContent('ENTERING');
    act(() => FakeSocket.last!.emit({ ...order, status: 'FILLED', price: '3501.05' }));
    expect(screen.getByTestId('position')).toHaveTextContent('LONG');
    expect(screen.getByTestId('last-order')).toHaveTextContent('BUY FILLED @ ₹3,501.05');

    act(() => FakeSocket.last!.emit({ type: 'prices', prices: { TCS: '3512.40', INFY: '1500.00' } }));
    expect(screen.getByTestId('last-price')).toHaveTextContent('₹3,512.40');

    // Other strategies' events change nothing.
    act(() => FakeSocket.last!.emit({ ...order, strategy_id: s.id + 100, leg: 'EXIT', side: 'SELL', status: 'FILLED' }));
    expect(screen.getByTestId('position')).toHaveTextContent('LONG');
  });

  test('the socket reconnects after it drops', async () => {
    const s = backend.addStrategy();
    renderRouter('./app', { initialUrl: `/strategies/${s.id}` });
    await waitFor(() => expect(screen.getByTestId('live-state')).toHaveTextContent(/Live/));
    const first = FakeSocket.last!;

    act(() => first.close(1006));
    expect(screen.getByTestId('live-state')).toHaveTextContent(/Offline/);
    expect(screen.getByTestId('live-reconnecting')).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('live-state')).toHaveTextContent(/Live/), { timeout: 3000 });
    expect(FakeSocket.last).not.toBe(first);
    expect(screen.queryByTestId('live-reconnecting')).toBeNull();
  });
});
