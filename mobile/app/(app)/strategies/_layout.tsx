import { Stack } from 'expo-router';

export default function StrategiesLayout() {
  return (
    <Stack>
      <Stack.Screen name="index" options={{ title: 'Strategies' }} />
      <Stack.Screen name="new" options={{ title: 'New strategy' }} />
      <Stack.Screen name="[id]" options={{ title: 'Strategy' }} />
    </Stack>
  );
}
