/** jest-expo (iOS preset: what Expo Go runs) + Testing Library. */
module.exports = {
  preset: 'jest-expo',
  setupFilesAfterEnv: ['<rootDir>/tests/setup.ts'],
  testMatch: ['<rootDir>/tests/**/*.test.ts?(x)'],
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/$1' },
  // Screen tests render the whole router; on a busy 2-core machine one can take tens of seconds.
  testTimeout: 90000,
};
