import * as WebBrowser from 'expo-web-browser';
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

describe('broker setup', () => {
  test('connects the paper broker with no credentials', async () => {
    renderRouter('./app', { initialUrl: '/broker' });
    expect(await screen.findByTestId('no-accounts')).toBeTruthy();

    fireEvent.press(screen.getByTestId('connect-broker'));
    expect(await screen.findByTestId('connect-done')).toHaveTextContent('Connected Paper broker.');
    expect(backend.calls.find((c) => c.path === '/broker/connect')?.body).toEqual({ broker: 'paper', credentials: {} });
    expect(await screen.findByTestId(`account-${backend.accounts[0].id}`)).toBeTruthy();
  });

  test('a real broker asks for its credential fields and shows what the broker refused', async () => {
    renderRouter('./app', { initialUrl: '/broker' });
    fireEvent.press(await screen.findByTestId('broker-zerodha'));
    fireEvent.press(screen.getByTestId('connect-broker'));
    expect(screen.getByTestId('field-credentials.api_key-error')).toHaveTextContent('This field is required.');

    fireEvent.changeText(screen.getByTestId('field-credentials.api_key'), 'bad');
    fireEvent.changeText(screen.getByTestId('field-credentials.access_token'), 'tok');
    fireEvent.press(screen.getByTestId('connect-broker'));
    expect(await screen.findByTestId('connect-error')).toHaveTextContent(/did not accept these credentials/);
    expect(screen.getByTestId('field-credentials-error')).toHaveTextContent('invalid api_key');
    expect(screen.queryByTestId('broker-dhan')).toBeNull(); // not available on this deployment
  });

  test('shows the session status of each account', async () => {
    const kite = backend.addAccount({ broker: 'zerodha', label: 'Kite', login_method: 'redirect', status: 'NEEDS_LOGIN', token_valid: false, token_valid_until: null, status_reason: 'Broker session expired: log in again.' });
    const paper = backend.addAccount({ login_method: 'none' });
    renderRouter('./app', { initialUrl: '/broker' });

    expect(await screen.findByTestId(`account-${kite.id}-token`)).toHaveTextContent('Login needed for today');
    expect(screen.getByTestId(`account-${kite.id}-status`)).toHaveTextContent('NEEDS LOGIN');
    expect(screen.getByTestId(`account-${kite.id}-login`)).toHaveTextContent('Log in to broker');
    expect(screen.getByTestId(`account-${paper.id}-token`)).toHaveTextContent('Paper trading: no login needed');
    expect(screen.queryByTestId(`account-${paper.id}-login`)).toBeNull();
  });

  test('daily re-login: opens the broker login page, hands the returned code to the server, shows the new status', async () => {
    const kite = backend.addAccount({ broker: 'zerodha', label: 'Kite', login_method: 'redirect', status: 'NEEDS_LOGIN', token_valid: false, token_valid_until: null });
    (WebBrowser.openAuthSessionAsync as jest.Mock).mockResolvedValueOnce({
      type: 'success',
      url: 'yourscheme:///broker-callback?state=signed-state&request_token=rt123&action=login&status=success',
    });
    renderRouter('./app', { initialUrl: '/broker' });

    fireEvent.press(await screen.findByTestId(`account-${kite.id}-login`));

    expect(await screen.findByTestId(`account-${kite.id}-message`)).toHaveTextContent('Logged in for today.');
    expect(WebBrowser.openAuthSessionAsync).toHaveBeenCalledWith('https://kite.zerodha.com/connect/login?v=3&api_key=k', 'yourscheme:///broker-callback');
    expect(backend.calls.find((c) => c.path === '/broker/login/callback')?.body).toEqual({ state: 'signed-state', request_token: 'rt123' });
    await waitFor(() => expect(screen.getByTestId(`account-${kite.id}-status`)).toHaveTextContent('ACTIVE'));
    expect(screen.getByTestId(`account-${kite.id}-token`)).toHaveTextContent(/Valid until/);
  });

  test('a broker login link opened outside the app session completes on /broker-callback', async () => {
    backend.addAccount({ broker: 'zerodha', label: 'Kite', login_method: 'redirect', status: 'NEEDS_LOGIN' });
    renderRouter('./app', { initialUrl: '/broker-callback?state=signed-state&request_token=rt9' });
    expect(await screen.findByTestId('broker-callback')).toHaveTextContent(/Kite: logged in for today/);
  });

  test('Dhan-style accounts take a new access token', async () => {
    const dhan = backend.addAccount({ broker: 'zerodha', label: 'Token broker', login_method: 'token', status: 'NEEDS_LOGIN' });
    renderRouter('./app', { initialUrl: '/broker' });
    fireEvent.changeText(await screen.findByTestId(`field-account-${dhan.id}-credentials.access_token`), 'new-token');
    fireEvent.press(screen.getByTestId(`account-${dhan.id}-update-token`));
    expect(await screen.findByTestId(`account-${dhan.id}-message`)).toHaveTextContent('Token updated.');
    expect(backend.calls.find((c) => c.path === `/broker/accounts/${dhan.id}/credentials`)?.body).toEqual({ credentials: { access_token: 'new-token' } });
  });
});

describe('positions and P&L', () => {
  test('shows totals and positions, and re-prices open positions from live ticks', async () => {
    renderRouter('./app', { initialUrl: '/positions' });
    expect(await screen.findByTestId('unrealised-total')).toHaveTextContent('+₹100.00');
    expect(screen.getByTestId('realised-total')).toHaveTextContent('-₹250.50');
    const row = screen.getByTestId('position-7');
    expect(within(row).getByText('LONG')).toBeTruthy();
    await waitFor(() => expect(FakeSocket.last?.readyState).toBe(1));

    act(() => FakeSocket.last!.emit({ type: 'prices', prices: { TCS: '3520.00' } }));
    expect(screen.getByTestId('unrealised-total')).toHaveTextContent('+₹200.00');
    expect(within(row).getByText('+₹200.00')).toBeTruthy();
  });

  test('offline with nothing loaded: offline state', async () => {
    backend.offline = true;
    renderRouter('./app', { initialUrl: '/positions' });
    expect(await screen.findByTestId('offline-state')).toBeTruthy();
  });
});

describe('notifications', () => {
  beforeEach(() => {
    backend.notifications = [
      { id: 2, kind: 'stop_loss_hit', title: 'Stop-loss hit: TCS', body: 'Sold 5 at ₹3,399.00', created_at: '2026-11-25T10:01:00+05:30', read_at: null },
      { id: 1, kind: 'order_filled', title: 'Bought TCS', body: '5 at ₹3,501.05', created_at: '2026-11-25T09:20:01+05:30', read_at: null },
    ];
  });

  test('lists notifications, marks one and then all read', async () => {
    renderRouter('./app', { initialUrl: '/notifications' });
    expect(await screen.findByText('Stop-loss hit: TCS')).toBeTruthy();
    expect(screen.getByTestId('unread-count')).toHaveTextContent('2 unread of 2');

    fireEvent.press(screen.getByTestId('notification-2'));
    await waitFor(() => expect(screen.getByTestId('unread-count')).toHaveTextContent('1 unread of 2'));
    fireEvent.press(screen.getByTestId('mark-all-read'));
    await waitFor(() => expect(screen.getByTestId('unread-count')).toHaveTextContent('0 unread of 2'));
  });

  test('a notification event over the WebSocket shows the new one without a refresh', async () => {
    renderRouter('./app', { initialUrl: '/notifications' });
    await screen.findByText('Bought TCS');
    await waitFor(() => expect(FakeSocket.last?.readyState).toBe(1));
    backend.notifications.unshift({ id: 4, kind: 'order_filled', title: 'SELL 5 TCS filled', body: '', created_at: '2026-11-25T15:10:00+05:30', read_at: null });
    act(() => FakeSocket.last!.emit({ type: 'notification', id: 4, kind: 'order_filled', title: 'SELL 5 TCS filled' }));
    expect(await screen.findByText('SELL 5 TCS filled')).toBeTruthy();
  });

  test('pull to refresh picks up new ones', async () => {
    renderRouter('./app', { initialUrl: '/notifications' });
    await screen.findByText('Bought TCS');
    backend.notifications.unshift({ id: 3, kind: 'order_filled', title: 'Sold TCS', body: '', created_at: '2026-11-25T15:10:00+05:30', read_at: null });
    await act(async () => {
      await screen.getByTestId('notifications').props.refreshControl.props.onRefresh();
    });
    expect(screen.getByText('Sold TCS')).toBeTruthy();
  });
});
