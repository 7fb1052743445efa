import { fireEvent, renderRouter, screen, waitFor } from 'expo-router/testing-library';

import type { ApiClient } from '@/lib/api';

import { FakeBackend } from '../fake-backend';

const mockClient: { current: ApiClient | null } = { current: null };
jest.mock('@/lib/client', () => ({
  get api() {
    return mockClient.current;
  },
}));

let backend: FakeBackend;
beforeEach(() => {
  backend = new FakeBackend();
  mockClient.current = backend.client();
});

test('signed out, the app opens on sign-in; signing in shows the strategies', async () => {
  renderRouter('./app', { initialUrl: '/' });

  expect(await screen.findByTestId('sign-in')).toBeTruthy();
  fireEvent.changeText(screen.getByTestId('field-email'), 'trader@example.test');
  fireEvent.changeText(screen.getByTestId('field-password'), 'Sturdy-Passw0rd-42');
  fireEvent.press(screen.getByTestId('sign-in'));

  expect(await screen.findByTestId('new-strategy')).toBeTruthy();
  expect(screen.getByText('No strategies yet')).toBeTruthy();
});

test('a guarded screen is not reachable signed out', async () => {
  const app = renderRouter('./app', { initialUrl: '/strategies' });
  expect(await screen.findByTestId('sign-in')).toBeTruthy();
  expect(app.getPathname()).toBe('/sign-in');
});

test('wrong password shows the server message; empty fields show field errors', async () => {
  renderRouter('./app', { initialUrl: '/sign-in' });
  fireEvent.press(await screen.findByTestId('sign-in'));
  expect(screen.getByTestId('field-email-error')).toHaveTextContent('This field is required.');

  fireEvent.changeText(screen.getByTestId('field-email'), 'trader@example.test');
  fireEvent.changeText(screen.getByTestId('field-password'), 'wrong');
  fireEvent.press(screen.getByTestId('sign-in'));
  expect(await screen.findByTestId('form-error')).toHaveTextContent('Invalid email or password.');
});

test('offline sign-in says the server cannot be reached', async () => {
  backend.offline = true;
  renderRouter('./app', { initialUrl: '/sign-in' });
  fireEvent.changeText(await screen.findByTestId('field-email'), 'trader@example.test');
  fireEvent.changeText(screen.getByTestId('field-password'), 'Sturdy-Passw0rd-42');
  fireEvent.press(screen.getByTestId('sign-in'));
  expect(await screen.findByTestId('form-error')).toHaveTextContent(/Cannot reach the server/);
});

test('register shows the API field errors, then signs in', async () => {
  renderRouter('./app', { initialUrl: '/register' });
  fireEvent.changeText(await screen.findByTestId('field-email'), 'new@example.test');
  fireEvent.changeText(screen.getByTestId('field-password'), 'short');
  fireEvent.changeText(screen.getByTestId('field-confirm'), 'short');
  fireEvent.press(screen.getByTestId('register'));
  expect(await screen.findByTestId('field-password-error')).toHaveTextContent(/This password is too short/);

  fireEvent.changeText(screen.getByTestId('field-password'), 'Another-Passw0rd-99');
  fireEvent.changeText(screen.getByTestId('field-confirm'), 'Another-Passw0rd-99');
  fireEvent.press(screen.getByTestId('register'));
  expect(await screen.findByTestId('new-strategy')).toBeTruthy();
});

test('an expired session sends the trader back to sign-in with a notice', async () => {
  await backend.signIn(mockClient.current!);
  backend.accessTokens.clear();
  backend.refreshTokens.clear();
  renderRouter('./app', { initialUrl: '/strategies' });

  expect(await screen.findByTestId('auth-notice')).toHaveTextContent(/Your session has expired/);
});

test('sign out from the account tab', async () => {
  await backend.signIn(mockClient.current!);
  renderRouter('./app', { initialUrl: '/account' });
  expect(await screen.findByTestId('account-email')).toHaveTextContent('trader@example.test');
  fireEvent.press(screen.getByTestId('sign-out'));
  await waitFor(() => expect(screen.getByTestId('sign-in')).toBeTruthy());
  expect(mockClient.current!.session).toBeNull();
});
